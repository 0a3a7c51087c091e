/** The `openai` backend: dits over the OpenAI HTTP protocol (docs/http-protocol.md). */
export { connectOpenAI, OpenAIBackend, type BackendInfo, type EndpointConfig, type OpenAIOptions, type UsageReport } from './backend.ts';
export type { Capabilities } from './capabilities.ts';
export type { EndpointUsage } from './endpoints.ts';
export { CapabilityError, EndpointsDownError, InvalidResponseError, RequestFailedError } from './errors.ts';
