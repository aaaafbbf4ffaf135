/** A moment as staff pages show it: to the minute, in UTC, the same for every viewer ("2026-11-29 09:05 UTC"). */
export function shownTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
