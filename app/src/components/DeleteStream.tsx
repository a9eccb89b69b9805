import { useEffect, useState } from "preact/hooks";

interface Props {
  streamId: string;
  busy: boolean;
  onConfirm(): void;
}

/** "Delete stream", then a confirmation before anything is sent. */
export function DeleteStream({ streamId, busy, onConfirm }: Props) {
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setConfirming(false), [streamId]);
  return confirming ? (
    <p role="group" aria-label="Confirm deletion">
      Delete the stream and every permission on it?{" "}
      <button
        type="button"
        class="danger"
        onClick={() => {
          setConfirming(false);
          onConfirm();
        }}
      >
        Delete permanently
      </button>{" "}
      <button type="button" onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </p>
  ) : (
    <p>
      <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>
        Delete stream
      </button>
    </p>
  );
}
