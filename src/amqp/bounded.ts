/** Waits for `step` to settle, but at most `ms` (a rejection of `step` is passed on); no step: at once. */
export async function bounded(step: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!step) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([step, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
