import { getAddress } from "viem";
import type { PermissionAssignment, StreamPermission } from "../sdk";

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd())
    .join("\n");
}

/** `label: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`).join("\n");
}

/** An address as people compare them (EIP-55 checksum), or "public" for the public holder. */
export function formatHolder(holder: { userId: string } | { public: true }): string {
  return "public" in holder ? "public" : getAddress(holder.userId);
}

function formatDuration(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const [days, hours, mins] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return mins > 0 ? `${hours}h ${mins}m` : `${hours}h`;
  return minutes > 0 ? `${mins}m` : "less than a minute";
}

/** "never" for a permission held forever, else the UTC time and how far away it is. */
export function formatExpiry(expiresAt: Date | undefined, now: Date = new Date()): string {
  if (expiresAt === undefined) return "never";
  const when = expiresAt.toISOString().replace("T", " ").replace(/:\d{2}\.\d{3}Z$/, " UTC");
  const distance = expiresAt.getTime() - now.getTime();
  return `${when} (${distance >= 0 ? "in " : ""}${formatDuration(distance)}${distance < 0 ? " ago" : ""})`;
}

/**
 * One row per holder and expiry: a holder's permissions that expire together share a row,
 * so the common case (everything forever) is one line per holder.
 */
export function formatAssignments(assignments: readonly PermissionAssignment[], now: Date = new Date()): string {
  const rows = assignments.flatMap((assignment) => {
    const byExpiry = new Map<number | undefined, StreamPermission[]>();
    for (const permission of assignment.permissions) {
      const key = assignment.expiresAt?.[permission]?.getTime();
      byExpiry.set(key, [...(byExpiry.get(key) ?? []), permission]);
    }
    const holder = formatHolder(assignment);
    return [...byExpiry].map(([expiry, permissions]) => [
      holder,
      permissions.join(", "),
      formatExpiry(expiry === undefined ? undefined : new Date(expiry), now),
    ]);
  });
  return rows.length === 0 ? "No permissions." : formatTable(["HOLDER", "PERMISSIONS", "EXPIRES"], rows);
}
