/** SOURCE_DATE_EPOCH, the reproducible-builds convention, when it is set to a positive number of seconds. */
export function sourceDateEpoch(): number | undefined {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? epoch : undefined;
}

/** Now, or SOURCE_DATE_EPOCH when set, so builds and changelog entries can be reproduced. */
export function sourceDate(): Date {
  const epoch = sourceDateEpoch();
  return epoch !== undefined ? new Date(epoch * 1000) : new Date();
}
