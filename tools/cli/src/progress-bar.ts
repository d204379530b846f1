/** A one-line progress bar on stderr (only when stderr is a terminal or `force` is set). */
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr, force = false) {
  const enabled = force || stream.isTTY;
  let last = 0;
  return {
    update(done: number, total: number) {
      if (!enabled) return;
      const now = Date.now();
      if (done < total && now - last < 50) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      if (done >= total) stream.write('\n');
    },
  };
}
