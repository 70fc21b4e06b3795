import { UnsupportedTemplateFeatureError } from './template-errors';

/**
 * Errors of the local API Gateway emulation. Each class sets `name` to a literal, so minification cannot change it.
 * As for event rules: *unsupported* is valid on AWS but not emulated locally, and refused by name rather than
 * served wrongly.
 */

/**
 * An `AWS::ApiGateway::*` resource or property the local runtime does not serve: an integration other than a Lambda
 * proxy (`AWS` with mapping templates, `HTTP`, `MOCK`…), a custom or Cognito authorizer, an API key, an OpenAPI
 * body, a greedy path variable, a second REST API… The message names the resource and the feature.
 *
 * @example
 * expect(() => resolveRestApi(resources, names)).toThrow(UnsupportedApiError);
 */
export class UnsupportedApiError extends UnsupportedTemplateFeatureError {
  override readonly name = 'UnsupportedApiError';
}
