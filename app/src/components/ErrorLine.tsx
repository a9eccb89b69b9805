/** A failure's sentence, announced to screen readers as it appears; nothing when there is none. */
export function ErrorLine({ message }: { message?: string }) {
  if (message === undefined) return null;
  return (
    <p role="alert" class="error">
      {message}
    </p>
  );
}
