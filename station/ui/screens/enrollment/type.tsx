/** The kind of application: first issue, renewal, re-issue after loss, correction of data. */
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import type { EnrollmentType } from './model.ts';
import { useShortcuts } from './shortcuts.ts';

const TYPES: readonly EnrollmentType[] = ['first-issue', 'renewal', 'reissue-after-loss', 'correction'];

export function TypePanel({ step }: { step: SendStep }) {
  const { t, lang } = useShared();
  const choose = useAction(async (type: EnrollmentType) => {
    await step({ kind: 'choose-type', type });
  });
  useShortcuts(Object.fromEntries(TYPES.map((type, i) => [String(i + 1), () => void choose.run(type)])));
  return (
    <section class="card" aria-labelledby="enr-type-title">
      <h2 id="enr-type-title">{t('enr.type.title')}</h2>
      <ul class="enr-choices">
        {TYPES.map((type, i) => (
          <li key={type}>
            <button
              type="button"
              class="enr-choice"
              data-type={type}
              disabled={choose.busy}
              aria-keyshortcuts={`Alt+${i + 1}`}
              onClick={() => void choose.run(type)}
            >
              <span class="enr-choice-title">{t(`enr.type.${type}`)}</span>
              <span class="enr-choice-hint">{t(`enr.type.${type}.hint`)}</span>
            </button>
          </li>
        ))}
      </ul>
      {choose.error ? (
        <p class="form-error" role="alert">
          {officerMessage(choose.error, lang)}
        </p>
      ) : null}
      <p class="note">{t('enr.shortcuts.type')}</p>
    </section>
  );
}
