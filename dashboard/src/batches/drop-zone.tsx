import { useRef, useState, type DragEvent } from 'react';

/** Drop files here, or choose them with the file picker (the keyboard way). */
export function DropZone(props: { onFiles(files: File[]): void; disabled?: boolean }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (props.disabled) return;
    const files = [...e.dataTransfer.files];
    if (files.length > 0) props.onFiles(files);
  };
  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>Drop files here to upload them into the batch</p>
      <label className="choice">
        or choose files:{' '}
        <input
          ref={input}
          type="file"
          multiple
          disabled={props.disabled}
          aria-label="Choose files to upload"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            if (files.length > 0) props.onFiles(files);
            e.target.value = '';
          }}
        />
      </label>
    </div>
  );
}
