/**
 * One structured engine.generate request at a time for a panel (outline,
 * ideas, an idea's expansion): run, stop, and the final 'done' event or a
 * message for the writer. A new run or unmount cancels the old one.
 */
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { GenerateEvent, RequestOf, StreamHandle } from '../common/contract';
import { api } from './api';
import { describeEngineError } from './continuation';
import { DocumentBridgeContext } from './document-bridge';

type Done = Extract<GenerateEvent, { type: 'done' }>;

export type GenerationState =
  | { status: 'idle' }
  | { status: 'running'; tokens: number }
  | { status: 'done'; done: Done }
  | { status: 'error'; message: string };

export function useGeneration(): {
  state: GenerationState;
  run: (request: RequestOf<'engine.generate'>) => Promise<Done | null>;
  stop: () => void;
} {
  const [state, setState] = useState<GenerationState>({ status: 'idle' });
  const handle = useRef<StreamHandle<'engine.generate'> | null>(null);
  const runId = useRef(0);
  // Outline and ideas write with the model the open document is bound to, as ghost text does.
  const bridge = useContext(DocumentBridgeContext);

  useEffect(() => () => handle.current?.cancel(), []);

  const run = useCallback(async (request: RequestOf<'engine.generate'>): Promise<Done | null> => {
    handle.current?.cancel();
    const my = ++runId.current;
    let tokens = 0;
    setState({ status: 'running', tokens });
    const modelId = request.modelId ?? bridge?.modelId();
    const h = api.stream('engine.generate', modelId === undefined ? request : { ...request, modelId }, (event) => {
      // Token counts only: structured results are read from the final event.
      if (event.type === 'token' && runId.current === my) setState({ status: 'running', tokens: ++tokens });
    });
    handle.current = h;
    const result = await h.done;
    if (runId.current !== my) return null;
    handle.current = null;
    if (!result.ok) {
      setState(result.error.code === 'aborted' ? { status: 'idle' } : { status: 'error', message: describeEngineError(result.error) });
      return null;
    }
    const done = result.value;
    if (done.type !== 'done') {
      setState({ status: 'error', message: 'the engine ended without a result' });
      return null;
    }
    setState({ status: 'done', done });
    return done;
  }, [bridge]);

  const stop = useCallback(() => handle.current?.cancel(), []);
  return { state, run, stop };
}
