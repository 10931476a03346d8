/**
 * Models in the state directory: `models/<modelId>.json`, the one in use named by `models/current`
 * (written atomically), the newest `keep` kept so an operator can roll back and so a crash
 * recovery can re-score a batch with the model that first scored it.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, saveModel, type KModesModel } from '../model/index.js';
import { writeFileAtomic } from '../state/index.js';

export class ModelStore {
  readonly directory: string;

  constructor(stateDirectory: string) {
    this.directory = join(stateDirectory, 'models');
  }

  pathOf(modelId: string): string {
    return join(this.directory, `${modelId}.json`);
  }

  /** The current model, or null when none was ever installed. Throws when it is unreadable. */
  async current(): Promise<KModesModel | null> {
    let id: string;
    try {
      id = (await readFile(join(this.directory, 'current'), 'utf8')).trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return loadModel(this.pathOf(id));
  }

  async load(modelId: string): Promise<KModesModel> {
    return loadModel(this.pathOf(modelId));
  }

  /** Saves `model`, makes it current, and removes all but the newest `keep` models. */
  async install(model: KModesModel, keep: number): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await saveModel(this.pathOf(model.modelId), model);
    await writeFileAtomic(join(this.directory, 'current'), `${model.modelId}\n`);
    await this.#prune(Math.max(1, keep), model.modelId);
  }

  async #prune(keep: number, currentId: string): Promise<void> {
    const names = (await readdir(this.directory)).filter((name) => name.endsWith('.json'));
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtimeMs: (await stat(join(this.directory, name))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { name } of dated.slice(keep)) {
      if (name !== `${currentId}.json`) await rm(join(this.directory, name), { force: true });
    }
  }
}
