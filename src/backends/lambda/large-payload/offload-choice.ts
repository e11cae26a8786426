/** One message of a batch, as the choice of what goes to S3 sees it. */
export interface OffloadCandidate {
  /** Bytes its record adds to the payload with the body in it. */
  fullBytes: number;
  /** Bytes its record adds with the pointer instead. */
  pointerBytes: number;
  /** It goes to S3 whatever the batch: over the threshold, `always`, or already uploaded. */
  must: boolean;
  /** It may go to S3 (a body longer than its pointer, and not itself a publisher's pointer). */
  offloadable: boolean;
}

/**
 * Which messages of a batch go to S3 (their indexes): those that must, then the largest bodies
 * first until the payload fits `maxBytes`, so a batch keeps its size rather than being cut into
 * tiny batches. When even that does not fit, every offloadable message goes (the call's answer
 * then splits the batch).
 */
export function chooseOffloads(candidates: readonly OffloadCandidate[], maxBytes: number): Set<number> {
  const chosen = new Set<number>();
  let total = 0;
  candidates.forEach((candidate, index) => {
    if (candidate.must) {
      chosen.add(index);
      total += candidate.pointerBytes;
    } else total += candidate.fullBytes;
  });
  const largestFirst = candidates
    .map((candidate, index) => ({ candidate, index }))
    .filter(({ candidate, index }) => candidate.offloadable && !chosen.has(index))
    .sort((a, b) => b.candidate.fullBytes - a.candidate.fullBytes);
  for (const { candidate, index } of largestFirst) {
    if (total <= maxBytes) break;
    chosen.add(index);
    total -= candidate.fullBytes - candidate.pointerBytes;
  }
  return chosen;
}
