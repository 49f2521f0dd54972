/**
 * A labelled text input for the enrollment forms, with its error under it and, for Vietnamese text,
 * Telex typing (telex.ts) when the officer turned it on: the kiosk may have no input method.
 */
import { h } from 'preact';
import { applyTelex } from './telex.ts';

export interface TextFieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly error?: string | undefined;
  readonly hint?: string;
  readonly telex?: boolean;
  readonly type?: 'text' | 'date' | 'password';
  readonly inputMode?: 'text' | 'numeric';
  readonly required?: boolean;
  readonly autoComplete?: string;
  readonly maxLength?: number;
}

export function TextField(props: TextFieldProps) {
  const errorId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  const described = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={props.id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {props.hint ? (
        <span id={hintId} class="enr-hint">
          {props.hint}
        </span>
      ) : null}
      {h('input', {
        id: props.id,
        name: props.id,
        type: props.type ?? 'text',
        value: props.value,
        required: props.required,
        inputMode: props.inputMode,
        maxLength: props.maxLength,
        autoComplete: props.autoComplete ?? 'off',
        spellcheck: false,
        'aria-invalid': props.error ? 'true' : 'false',
        'aria-describedby': described === '' ? undefined : described,
        onInput: (event: InputEvent) => {
          const input = event.currentTarget as HTMLInputElement;
          if (
            props.telex &&
            event.inputType === 'insertText' &&
            event.data !== null &&
            event.data.length === 1
          ) {
            const caret = input.selectionStart ?? input.value.length;
            const changed = applyTelex(input.value, caret, event.data);
            if (changed !== undefined) {
              input.value = changed.value;
              input.setSelectionRange(changed.caret, changed.caret);
            }
          }
          props.onValue(input.value);
        },
      })}
      {props.error ? (
        <p id={errorId} class="field-error">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
