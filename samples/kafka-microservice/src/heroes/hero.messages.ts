export interface KillDragonMessage {
  heroId: number;
  dragonId: number;
}

export interface HeroKilledDragonEvent {
  heroId: number;
  dragonId: number;
}

export interface Item {
  id: number;
  name: string;
}
