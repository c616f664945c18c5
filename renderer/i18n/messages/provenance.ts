/** Provenance: the underline on text the model wrote, its toggle and notices. */
import { defineMessages } from '../index';

export const provenanceMessages = defineMessages({
  en: {
    toggle: 'Marks',
    toggleLabel: 'Underline machine-written text',
    toggleTitle: 'Underline the text the model wrote (Ctrl+Shift+E)',
    dropped_one: '{n} machine-written mark could not be found after the file changed outside Inkwell, and was dropped.',
    dropped_other: '{n} machine-written marks could not be found after the file changed outside Inkwell, and were dropped.',
    dismiss: 'Dismiss',
  },
  'zh-CN': {
    toggle: '标记',
    toggleLabel: '为机器撰写的文字加下划线',
    toggleTitle: '为模型撰写的文字加下划线（Ctrl+Shift+E）',
    dropped_one: '文件在 Inkwell 之外被修改，有 {n} 处机器撰写标记无法找回，已移除。',
    dropped_other: '文件在 Inkwell 之外被修改，有 {n} 处机器撰写标记无法找回，已移除。',
    dismiss: '关闭',
  },
});
