// Process concerns shared by every service's main.ts: start, stop once on SIGTERM/SIGINT and
// exit 0, reload on SIGHUP (never die of it: its default action ends the process), or print a
// start-up failure (usually a configuration error meant for a person) as one message without a
// stack and exit 1.
import type { Bus } from "@xmppd/bus";
import type { Logger } from "@xmppd/observability";

export interface Running {
  stop(): Promise<void>;
  /** SIGHUP (reload.ts); it logs what it did. */
  reload(): Promise<void>;
}

export function runProcess(service: string, start: () => Promise<Running>, onStopError: (err: unknown) => void = () => {}): void {
  // Installed before start-up: a SIGHUP then (a certificate renewal hook firing early) is taken
  // up once the process runs, instead of killing it.
  let app: Running | undefined;
  let hupPending = false;
  let reloading: Promise<void> = Promise.resolve();
  const reload = (): void => {
    if (!app) {
      hupPending = true;
      return;
    }
    const running = app;
    // One reload at a time, in order of the signals.
    reloading = reloading.then(() => running.reload()).catch(() => {});
  };
  process.on("SIGHUP", reload);
  start().then(
    (started) => {
      app = started;
      if (hupPending) reload();
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        started.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            onStopError(err);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
    },
    (err: unknown) => {
      process.stderr.write(`${service}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** A service without its bus can neither receive nor hand off work: exit and let the supervisor restart it. */
export function exitWhenBusLost(bus: Pick<Bus, "onClosed">, log: Pick<Logger, "fatal">): void {
  bus.onClosed((err) => {
    log.fatal({ err }, "lost the bus for good");
    process.exit(1);
  });
}
