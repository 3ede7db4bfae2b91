/** The output formats (pure: strings in, strings out). */
export * from './common';
export * from './text';
export * from './json';
export * from './sarif';
export * from './b4';
