import type { StreamPermission } from "keyway";
import { permissionLabel } from "../format";

interface Props {
  /** The permissions offered, in order. */
  options: readonly StreamPermission[];
  checked: readonly StreamPermission[];
  onChange(checked: StreamPermission[]): void;
  /** Offered but not choosable now (e.g. what the public cannot hold). */
  isDisabled?(permission: StreamPermission): boolean;
}

/** A group of permission checkboxes, named "Permissions" for assistive technology and tests. */
export function PermissionChecks({ options, checked, onChange, isDisabled }: Props) {
  return (
    <div class="checks" role="group" aria-label="Permissions">
      {options.map((p) => (
        <label class="inline">
          <input
            type="checkbox"
            checked={checked.includes(p)}
            disabled={isDisabled?.(p) ?? false}
            onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...checked, p] : checked.filter((q) => q !== p))}
          />{" "}
          {permissionLabel(p)}
        </label>
      ))}
    </div>
  );
}
