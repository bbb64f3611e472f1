// Progress of a long admin command on stderr: a redrawn bar on a terminal, a plain count line
// every tenth of the way otherwise (logs and pipes should not fill with carriage returns).
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  update(done: number): void;
  finish(done: number): void;
}

const WIDTH = 30;

export function createProgress(total: number, sink: ProgressSink | undefined, label: string): Progress {
  if (!sink || total === 0) return { update() {}, finish() {} };
  if (sink.isTTY) {
    let shown = -1;
    const draw = (done: number) => {
      const filled = Math.round((done / total) * WIDTH);
      sink.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${done}/${total}`);
    };
    return {
      update(done) {
        const percent = Math.floor((done / total) * 100);
        if (percent === shown) return;
        shown = percent;
        draw(done);
      },
      finish(done) {
        draw(done);
        sink.write("\n");
      },
    };
  }
  const step = Math.max(1, Math.ceil(total / 10));
  let last = 0;
  return {
    update(done) {
      if (done - last < step) return;
      last = done;
      sink.write(`${label} ${done}/${total}\n`);
    },
    finish(done) {
      if (done !== last) sink.write(`${label} ${done}/${total}\n`);
    },
  };
}
