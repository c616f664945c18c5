/**
 * The ideas panel's cards: new results merged under the pinned ones with
 * duplicates removed, as the writer regenerates. Pure.
 */
export interface IdeaCard {
  id: string;
  text: string;
  pinned: boolean;
  /** A longer continuation grown from the idea, when the writer asked for one. */
  expansion?: string;
}

export function ideaKey(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, '').replace(/\s+/g, ' ').trim();
}

let nextId = 1;

/** Pinned cards stay first and untouched; fresh ideas follow, minus any already shown pinned or twice. */
export function mergeIdeas(cards: readonly IdeaCard[], fresh: readonly string[]): IdeaCard[] {
  const pinned = cards.filter((c) => c.pinned);
  const seen = new Set(pinned.map((c) => ideaKey(c.text)));
  const out = [...pinned];
  for (const text of fresh) {
    const key = ideaKey(text);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    out.push({ id: `idea-${nextId++}`, text, pinned: false });
  }
  return out;
}

export function togglePin(cards: readonly IdeaCard[], id: string): IdeaCard[] {
  return cards.map((c) => (c.id === id ? { ...c, pinned: !c.pinned } : c));
}
