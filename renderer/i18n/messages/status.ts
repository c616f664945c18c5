/** The status bar: word count, the suggestion keys, engine backend and model. */
import { defineMessages } from '../index';

export const statusMessages = defineMessages({
  en: {
    status: 'Status',
    words_one: '{n} word',
    words_other: '{n} words',
    hintAccept: 'accept',
    hintDismiss: 'dismiss',
    hintNext: 'next',
    backendTitle: 'Engine backend',
    modelTitle: 'Model',
    connecting: 'Connecting…',
    engineNotStarted: 'Engine not started',
    noModel: 'No model loaded',
    modelDetail: '{name} ({layers} layers, {width} wide, {positions} tokens)',
  },
  'zh-CN': {
    status: '状态栏',
    words_one: '{n} 字',
    words_other: '{n} 字',
    hintAccept: '接受',
    hintDismiss: '忽略',
    hintNext: '下一个',
    backendTitle: '引擎后端',
    modelTitle: '模型',
    connecting: '正在连接…',
    engineNotStarted: '引擎未启动',
    noModel: '未加载模型',
    modelDetail: '{name}（{layers} 层，宽 {width}，上下文 {positions} 词元）',
  },
});
