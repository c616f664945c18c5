/** The side panel's frame: its tabs and close button (also the toolbar's panel buttons). */
import { defineMessages } from '../index';

export const assistantMessages = defineMessages({
  en: {
    assistant: 'Assistant',
    tabs: 'Assistant panels',
    outline: 'Outline',
    ideas: 'Ideas',
    memory: 'Memory',
    settings: 'Settings',
    models: 'Models',
    train: 'Train',
    close: 'Close the side panel',
    closeTitle: 'Close (Ctrl+.)',
  },
  'zh-CN': {
    assistant: '助手',
    tabs: '助手面板',
    outline: '大纲',
    ideas: '灵感',
    memory: '记忆',
    settings: '设置',
    models: '模型',
    train: '训练',
    close: '关闭侧边栏',
    closeTitle: '关闭（Ctrl+.）',
  },
});
