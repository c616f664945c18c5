/** The app frame: toolbar, theme and language switches. */
import { defineMessages } from '../index';

export const appMessages = defineMessages({
  en: {
    language: 'Language',
    languageSystem: 'System',
    languageEn: 'English',
    languageZh: '简体中文',
  },
  'zh-CN': {
    language: '语言',
    languageSystem: '跟随系统',
    languageEn: 'English',
    languageZh: '简体中文',
  },
});
