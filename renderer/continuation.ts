/**
 * The state of one "Continue" request, as a reducer over the engine's stream
 * events, plus the wording of engine errors for the writer. Pure, so the
 * panel's behaviour is unit-tested without React or a server.
 */
import type { ApiError, EventOf, GenerateEvent, Result, StreamChannel } from '../common/contract';
import { localized, type KeysOf, type Translate } from './i18n';
import { continueMessages } from './i18n/messages/continue';

type ContinueKey = KeysOf<typeof continueMessages>;
/** Made outside React (in the reducer), so in the language active when the error arrived. */
const text = localized(continueMessages);

export type Continuation =
  | { status: 'idle' }
  | { status: 'streaming'; text: string }
  | { status: 'done'; text: string; reason: string; elapsedMs: number; tokens: number }
  | { status: 'error'; text: string; message: string };

export const IDLE: Continuation = { status: 'idle' };

/** Applies one stream event. Only alternative 0 is shown: the panel offers one continuation. */
export function applyEvent(state: Continuation, event: GenerateEvent, tokensSoFar = 0): Continuation {
  if (state.status !== 'streaming') return state; // late events after discard or an error change nothing
  switch (event.type) {
    case 'token':
      return event.alternative === 0 ? { status: 'streaming', text: state.text + event.text } : state;
    case 'done':
      return {
        status: 'done',
        // The final text is authoritative: it includes bytes the streaming decoder held back.
        text: event.texts[0] ?? state.text,
        reason: event.reason,
        elapsedMs: event.elapsedMs,
        tokens: tokensSoFar,
      };
    default:
      return state;
  }
}

type GenerateDone = Extract<GenerateEvent, { type: 'done' }>;

/** StreamHandle.done is typed for every stream channel; only a generation's 'done' event settles a continuation. */
function isGenerateDone(value: EventOf<StreamChannel>): value is GenerateDone {
  return value.type === 'done' && Array.isArray((value as Partial<GenerateDone>).texts);
}

/** Settles the state with the stream's final result (which repeats the 'done' event on success). */
export function applyResult(state: Continuation, result: Result<EventOf<StreamChannel>>, tokens: number): Continuation {
  if (state.status !== 'streaming') return state;
  if (!result.ok) {
    if (result.error.code === 'aborted') {
      // Stopped by the writer: keep what arrived so far, it may be worth inserting.
      return state.text === '' ? IDLE : { status: 'done', text: state.text, reason: 'aborted', elapsedMs: 0, tokens };
    }
    return { status: 'error', text: state.text, message: describeEngineError(result.error) };
  }
  if (isGenerateDone(result.value)) return applyEvent(state, result.value, tokens);
  return { status: 'done', text: state.text, reason: 'unknown', elapsedMs: 0, tokens };
}

/** A sentence the writer can act on, keeping the engine's own detail (which stays in the engine's words). */
export function describeEngineError(error: ApiError, t: Translate<ContinueKey> = text()): string {
  switch (error.code) {
    case 'no_model':
      return t('errorNoModel', { message: error.message });
    case 'engine_crashed':
      return t('errorCrashed', { message: error.message });
    case 'io_error':
      return t('errorIo', { message: error.message });
    default:
      return error.message;
  }
}

/** Why a continuation ended, in words, for the panel's footer. */
export function describeReason(reason: string, t: Translate<ContinueKey> = text()): string {
  switch (reason) {
    case 'length':
      return t('reasonLength');
    case 'stop':
      return t('reasonStop');
    case 'eos':
      return t('reasonEos');
    case 'time':
      return t('reasonTime');
    case 'aborted':
      return t('reasonAborted');
    default:
      return reason;
  }
}
