/**
 * The order vitest starts test files in: its own (longest and failed first, from its cache), except that
 * the Kubernetes-datastore files (test/integration/kdd/) go last. Their cluster's kube-apiserver may
 * still be building in the background on a new machine (scripts/install-test-deps.sh), and a file
 * waiting for it holds one of the two workers: started last, they wait only for what is left of the
 * build, while every other file has already run.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KUBERNETES_TESTS = '/test/integration/kdd/';

export class KubernetesLastSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const kubernetes = (file: TestSpecification): boolean => file.moduleId.includes(KUBERNETES_TESTS);
    return [...sorted.filter((file) => !kubernetes(file)), ...sorted.filter(kubernetes)];
  }
}
