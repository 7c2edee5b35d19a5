/**
 * daprd's two health answers: outbound (components initialised, the APIs can
 * be called) and full readiness (outbound plus the app channel: the app
 * listens, its subscriptions and input bindings are running).
 */
export class SidecarReadiness {
  componentsReady = false;
  appChannelReady = false;
  /** Set while shutting down: nothing is ready any more. */
  stopping = false;

  get outbound(): boolean {
    return this.componentsReady && !this.stopping;
  }

  get ready(): boolean {
    return this.outbound && this.appChannelReady;
  }
}
