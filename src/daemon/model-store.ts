/**
 * Models in the state directory: `models/<modelId>.json`, the one in use named by `models/current`
 * (written atomically), the newest `keep` kept so an operator can roll back and so a crash
 * recovery can re-score a batch with the model that first scored it.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError } from '../errors.js';
import { loadModel, saveModel, type KModesModel } from '../model/index.js';
import { writeFileAtomic } from '../state/index.js';

/** What `train` and the daemon name models (km-<time>-<hash>), and any plain file name. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export class ModelStore {
  readonly directory: string;

  constructor(stateDirectory: string) {
    this.directory = join(stateDirectory, 'models');
  }

  /**
   * `models/<modelId>.json`. An id that is not a plain file name (`../../../model`, a slash, a
   * NUL) is refused: `models/current` and progress.json are files an admin edits, and neither
   * may make the daemon load (or prune) a file outside the state directory.
   */
  pathOf(modelId: string): string {
    if (!MODEL_ID.test(modelId) || modelId.startsWith('.')) {
      throw new DaemonError('ERR_STATE', `state: ${JSON.stringify(modelId)} is not a model id, expected a file name under ${this.directory}`, {
        meta: { modelId },
      });
    }
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

  /** Whether a current model is named (an earlier run trained or installed one). */
  async hasCurrent(): Promise<boolean> {
    return stat(join(this.directory, 'current')).then(
      () => true,
      () => false,
    );
  }

  async load(modelId: string): Promise<KModesModel> {
    return loadModel(this.pathOf(modelId));
  }

  /**
   * The model to start with: the one that scored the lines past the restart point (`scoredLast`,
   * from progress.json) scores them again; without it, the current one.
   */
  async forRestart(scoredLast: string | null): Promise<KModesModel | null> {
    return scoredLast !== null ? await this.load(scoredLast).catch(() => this.current()) : await this.current();
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
