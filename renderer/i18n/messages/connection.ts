/** The banner shown while the browser-mode connection is down. */
import { defineMessages } from '../index';

export const connectionMessages = defineMessages({
  en: {
    disconnected: 'Disconnected from Inkwell ({detail}). Reconnecting… Your text stays in this window.',
    unreachable: 'Cannot reach Inkwell: {detail}',
  },
  'zh-CN': {
    disconnected: '与 Inkwell 的连接已断开（{detail}）。正在重新连接…你的文字仍保留在此窗口中。',
    unreachable: '无法连接到 Inkwell：{detail}',
  },
});
