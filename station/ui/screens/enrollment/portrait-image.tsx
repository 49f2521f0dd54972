/**
 * The draft's kept portrait, fetched as bytes (GET /enrollments/:id/portrait) and shown from a
 * blob: URL (the CSP allows blob: images), fetched again when its hash changes (a retake).
 */
import { useEffect, useState } from 'preact/hooks';

export function KeptPortrait({
  id,
  sha256,
  alt,
  width,
}: {
  id: string;
  sha256: string;
  alt: string;
  width: number;
}) {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    let made: string | undefined;
    let stopped = false;
    void (async () => {
      try {
        const response = await fetch(`/enrollments/${id}/portrait`, { credentials: 'same-origin' });
        if (!response.ok) return;
        const blob = await response.blob();
        if (stopped) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      } catch {
        // No picture shown; the review still lists the portrait's attempt.
      }
    })();
    return () => {
      stopped = true;
      if (made !== undefined) URL.revokeObjectURL(made);
    };
  }, [id, sha256]);
  if (url === undefined) return <span class="enr-portrait-placeholder" style={{ width: `${width}px` }} />;
  return <img class="enr-review-portrait" src={url} alt={alt} width={width} data-sha256={sha256} />;
}
