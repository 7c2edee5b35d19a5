import { isJson } from './invoke-body.codec';

describe('isJson', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset=utf-8', true],
    ['Application/JSON', true],
    ['application/json ; charset=utf-8', true],
    ['application/cloudevents+json', true],
    ['application/json-seq', false],
    ['application/jsonx', false],
    ['text/plain', false],
    [undefined, false],
    ['', false],
  ])('%s → %s', (contentType, expected) => {
    expect(isJson(contentType)).toBe(expected);
  });
});
