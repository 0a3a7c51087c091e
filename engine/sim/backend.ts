/**
 * The simulated model as a ModelBackend: a world, base parameters and named adapters (saved
 * parameter sets, the simulator's LoRA). The async methods wrap synchronous cores that
 * benchmarks and workers may call directly.
 */
import type { ChatMessage, Completion, LogLikelihood, ModelBackend, SampleRequest } from '../base/model-backend.ts';
import { logLikelihoodSync } from './likelihood.ts';
import { defaultParams, type SimParams } from './params.ts';
import { sampleSync } from './sample.ts';
import { countTokens } from './tokcount.ts';
import type { SimWorld } from './world.ts';

export class SimBackend implements ModelBackend {
  readonly name = 'sim';
  private readonly adapters = new Map<string, SimParams>();

  constructor(
    readonly world: SimWorld,
    readonly base: SimParams = defaultParams(),
  ) {}

  /** Make `params` selectable as `adapter: name`; registering a name again replaces it. */
  registerAdapter(name: string, params: SimParams): void {
    this.adapters.set(name, params);
  }

  /** The parameters an `adapter` field selects (the base when absent). */
  paramsFor(adapter?: string): SimParams {
    if (adapter === undefined) return this.base;
    const p = this.adapters.get(adapter);
    if (!p) {
      const known = [...this.adapters.keys()];
      throw new Error(`sim backend: unknown adapter '${adapter}' (registered: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    return p;
  }

  sampleSync(req: SampleRequest): Completion[] {
    return sampleSync(this.world, this.paramsFor(req.adapter), req);
  }

  logLikelihoodSync(messages: ChatMessage[], text: string, adapter?: string): LogLikelihood {
    return logLikelihoodSync(this.world, this.paramsFor(adapter), messages, text);
  }

  async sample(req: SampleRequest): Promise<Completion[]> {
    return this.sampleSync(req);
  }

  async logLikelihood(messages: ChatMessage[], text: string, adapter?: string): Promise<LogLikelihood> {
    return this.logLikelihoodSync(messages, text, adapter);
  }

  countTokens(text: string): number {
    return countTokens(text);
  }
}
