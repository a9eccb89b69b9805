import type { ComponentChildren } from "preact";
import { navigate, STREAM_TABS, streamHref, type StreamTab } from "../route";

const TAB_NAMES: Record<StreamTab, string> = { overview: "Overview", access: "Access", live: "Live" };

interface Props {
  streamId: string;
  tab: StreamTab;
  /** Each tab's content: all stay mounted (a subscription in Live lives on while Access is shown), only the selected one is visible. */
  panels: Record<StreamTab, ComponentChildren>;
}

/**
 * A stream's page as ARIA tabs (tablist, tab, tabpanel): each tab is an address
 * (`#/streams/<id>/access`), so Back returns to the previous one; arrow keys move between
 * tabs, as the ARIA tabs pattern has it.
 */
export function StreamTabs({ streamId, tab, panels }: Props) {
  const go = (next: StreamTab) => {
    navigate(streamHref(streamId, next));
    document.getElementById(`tab-${next}`)?.focus();
  };
  function onKeyDown(event: KeyboardEvent) {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    go(STREAM_TABS[(STREAM_TABS.indexOf(tab) + step + STREAM_TABS.length) % STREAM_TABS.length]);
  }
  return (
    <>
      <div role="tablist" aria-label="Stream" class="tabs" onKeyDown={onKeyDown}>
        {STREAM_TABS.map((name) => (
          <button
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={name === tab}
            aria-controls={`tabpanel-${name}`}
            tabIndex={name === tab ? 0 : -1}
            onClick={() => go(name)}
          >
            {TAB_NAMES[name]}
          </button>
        ))}
      </div>
      {STREAM_TABS.map((name) => (
        <div role="tabpanel" id={`tabpanel-${name}`} aria-labelledby={`tab-${name}`} hidden={name !== tab}>
          {panels[name]}
        </div>
      ))}
    </>
  );
}
