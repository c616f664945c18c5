/**
 * Creativity presets and the one-line knob explanations (renderer/generation.ts
 * reads these, so the Settings tab shows them in the interface language).
 */
import { defineMessages } from '../index';

export const presetMessages = defineMessages({
  en: {
    precise: 'Precise',
    preciseHint: 'Safe, predictable words. Good for news copy and editing.',
    balanced: 'Balanced',
    balancedHint: 'Natural prose with some surprise. The default.',
    wild: 'Wild',
    wildHint: 'Unexpected turns. Good for brainstorming, rougher sentences.',
    hintTemperature: 'How adventurous each word is. Lower is safer, higher is stranger.',
    hintTopK: 'Only the K likeliest next words are considered (0: no limit).',
    hintTopP: 'Only the likeliest words that together make up this share are considered.',
    hintRepetitionPenalty: 'Above 1 discourages repeating words already used.',
    hintMaxTokens: 'How long a suggestion may be, in tokens (about ¾ of a word each).',
    hintN: 'How many alternatives each suggestion offers (Alt+] / Alt+[ to cycle).',
  },
  'zh-CN': {
    precise: '严谨',
    preciseHint: '用词稳妥、可预期。适合新闻稿和编辑修改。',
    balanced: '均衡',
    balancedHint: '行文自然，略带惊喜。默认选项。',
    wild: '奔放',
    wildHint: '常有意外转折。适合头脑风暴，句子会粗糙一些。',
    hintTemperature: '每个词有多大胆。越低越稳妥，越高越离奇。',
    hintTopK: '只考虑最可能的 K 个候选词（0 表示不限）。',
    hintTopP: '只考虑累计概率达到这一比例的那些最可能的词。',
    hintRepetitionPenalty: '大于 1 时会抑制重复已经用过的词。',
    hintMaxTokens: '一条建议最长多少，以词元计（一个词元约合 ¾ 个英文单词）。',
    hintN: '每条建议提供几个备选（用 Alt+] / Alt+[ 切换）。',
  },
});
