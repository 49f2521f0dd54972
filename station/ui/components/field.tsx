/** A labelled input with its own error under it, tied to it for screen readers. */
import { h } from 'preact';
export interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly error?: string | undefined;
  readonly type?: 'text' | 'password' | 'date' | 'email' | 'tel' | 'number';
  readonly autoComplete?: string;
  readonly required?: boolean;
  readonly inputMode?: 'text' | 'numeric' | 'tel' | 'email';
}

export function Field(props: FieldProps) {
  const errorId = `${props.id}-error`;
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {h('input', {
        id: props.id,
        name: props.id,
        type: props.type ?? 'text',
        value: props.value,
        autoComplete: props.autoComplete,
        required: props.required,
        inputMode: props.inputMode,
        'aria-invalid': props.error ? 'true' : 'false',
        'aria-describedby': props.error ? errorId : undefined,
        onInput: (event: Event) => props.onInput((event.currentTarget as HTMLInputElement).value),
      })}
      {props.error ? (
        <p id={errorId} class="field-error">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
