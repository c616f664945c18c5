/** The keyboard shortcut help overlay. */
import { defineMessages } from '../index';

export const shortcutsMessages = defineMessages({
  en: {
    title: 'Keyboard shortcuts',
    close: 'Close',
    accept: 'Accept the suggestion',
    acceptWord: 'Accept the next word of the suggestion',
    dismiss: 'Dismiss the suggestion',
    cycle: 'Next / previous alternative',
    continue: 'Continue writing (a longer continuation)',
    save: 'Save',
    newDocument: 'New document',
    panel: 'Show or hide the side panel',
    focus: 'Focus mode',
    train: 'Open the Train screen',
    provenance: 'Underline machine-written text, or not',
    searchDocuments: 'Search documents by title',
    list: 'This list',
  },
  'zh-CN': {
    title: '键盘快捷键',
    close: '关闭',
    accept: '接受建议',
    acceptWord: '接受建议中的下一个词',
    dismiss: '忽略建议',
    cycle: '下一个 / 上一个备选',
    continue: '续写（生成较长的一段）',
    save: '保存',
    newDocument: '新建文档',
    panel: '显示或隐藏侧边栏',
    focus: '专注模式',
    train: '打开训练界面',
    provenance: '显示或隐藏机器撰写文字的下划线',
    searchDocuments: '按标题搜索文档',
    list: '本列表',
  },
});
