/** Now, or SOURCE_DATE_EPOCH when set, so builds and changelog entries can be reproduced. */
export function sourceDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
}
