/**
 * "Samples by step" of one fine-tune (models.samples): what each checkpoint
 * wrote, with its validation loss and how much of it repeats the training text,
 * so the writer picks a voice by ear, not by loss. Read once per model id.
 */
import { useEffect, useState } from 'react';
import type { CheckpointSample } from '../../common/contract';
import { api } from '../api';
import { useMessages } from '../i18n';
import { trainMessages } from '../i18n/messages/train';

type Load = { state: 'loading' } | { state: 'ok'; samples: CheckpointSample[] } | { state: 'failed'; message: string };

export function CheckpointSamples({ modelId }: { modelId: string }) {
  const t = useMessages(trainMessages);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [copied, setCopied] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    void api.call('models.samples', { id: modelId }).then((r) => {
      if (!live) return;
      setLoad(r.ok ? { state: 'ok', samples: r.value } : { state: 'failed', message: r.error.message });
    });
    return () => {
      live = false;
    };
  }, [modelId]);

  const copy = (s: CheckpointSample) => {
    // Clipboard access can be refused (an unfocused page); the text stays selectable either way.
    void navigator.clipboard?.writeText(s.text).then(() => setCopied(s.step), () => undefined);
  };

  return (
    <section className="checkpoint-samples" aria-label={t('samplesTitle')}>
      <h3>{t('samplesTitle')}</h3>
      <p className="panel-progress">{t('samplesHint')}</p>
      {load.state === 'loading' && <p className="panel-progress">{t('samplesLoading')}</p>}
      {load.state === 'failed' && <p className="panel-error" role="alert">{t('samplesFailed', { message: load.message })}</p>}
      {load.state === 'ok' && load.samples.length === 0 && <p className="panel-note">{t('samplesNone')}</p>}
      {load.state === 'ok' && load.samples.length > 0 && (
        <ol className="checkpoint-sample-list">
          {load.samples.map((s) => (
            <li key={s.step} className="checkpoint-sample" data-step={s.step}>
              <header>
                <strong>{t('samplesStep', { step: s.step })}</strong>
                {s.valLoss !== null && <span> · {t('samplesVal', { loss: s.valLoss.toFixed(2) })}</span>}
                <span> · {t('samplesCopy', { pct: Math.round(s.copyRate * 100) })}</span>
                <button type="button" className="btn btn-quiet btn-small" onClick={() => copy(s)}>{copied === s.step ? t('copied') : t('copy')}</button>
              </header>
              <p>{s.text.trim() || t('emptySample')}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
