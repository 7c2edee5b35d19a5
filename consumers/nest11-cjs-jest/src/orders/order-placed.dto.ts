import { IsInt, IsString, Min } from 'class-validator';

export class OrderPlaced {
  @IsString()
  orderId!: string;

  @IsString()
  tenant!: string;

  @IsString()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}
