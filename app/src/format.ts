/** `0xf39F…2266`: enough to tell accounts apart on screen; the full address is in `title`. */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-30 14:05:09` in the browser's time zone: sortable, and the same in every locale. */
export function formatTime(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The value of an `<input type="datetime-local">` as a Date, or undefined when empty or invalid. */
export function parseLocalDateTime(value: string): Date | undefined {
  if (value.trim() === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `Publish` for `publish`: a permission as the page shows it. */
export function permissionLabel(permission: string): string {
  return permission.charAt(0).toUpperCase() + permission.slice(1);
}
