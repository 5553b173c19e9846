// Waits until what was written to the process's streams left for the OS. process.exit() drops
// whatever a pipe had not taken yet; a file or terminal takes it at once.
export async function flushOutput(streams: NodeJS.WriteStream[], timeoutMs = 30000): Promise<void> {
  await Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream.destroyed || !stream.writable) return resolve();
          // A reader that went away (`| head`) or never reads must not hold the exit forever.
          const timer = setTimeout(resolve, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            stream.removeListener('error', done);
            resolve();
          };
          stream.once('error', done);
          // Writes complete in order: the callback of this empty one runs after all before it.
          stream.write('', () => done());
        }),
    ),
  );
}
