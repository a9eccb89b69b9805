import { useEffect, useRef } from "preact/hooks";
import { type LiveChart, useLiveChart } from "../liveChart";
import type { Received } from "../liveSubscription";

/** A live chart per numeric field of the messages; nothing at all while no message carried a number. */
export function LiveCharts({ messages }: { messages: Received[] }) {
  const chart = useLiveChart(messages);
  if (chart.fields.length === 0) return null;
  return (
    <div class="charts">
      {chart.fields.map((field, index) => (
        <FieldChart key={field} field={field} captionId={`live-chart-caption-${index}`} mount={chart.mount} />
      ))}
    </div>
  );
}

/** One field's chart: an image named after the field, described by a caption with its latest value. */
function FieldChart({ field, captionId, mount }: { field: string; captionId: string; mount: LiveChart["mount"] }) {
  const plot = useRef<HTMLDivElement>(null);
  const caption = useRef<HTMLElement>(null);
  useEffect(() => mount(field, plot.current!, caption.current!), [field]);
  return (
    <figure class="chart">
      <div ref={plot} role="img" aria-label={`Live chart of ${field}`} aria-describedby={captionId} />
      <figcaption id={captionId} ref={caption} />
    </figure>
  );
}
