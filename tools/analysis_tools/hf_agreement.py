"""Does the Hugging Face export predict what the model's evaluation does?

    python tools/analysis_tools/hf_agreement.py CONFIG CHECKPOINT
        [--out-dir DIR] [--max-images N] [--batch-size 64]

Exports CHECKPOINT with CONFIG as tools/model_converters/mmdeit_to_hf.py
does (into DIR, else a temporary folder), then classifies the config's test
images with transformers' image-classification pipeline and with mmdeit's
inferencer (the config's test pipeline), and prints how often their top-1
classes agree and each one's top-1 accuracy.
"""
import argparse

from mmdeit.experiments.hf_agreement import hf_agreement


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file or zoo name')
    parser.add_argument('checkpoint', help='checkpoint path, URL or folder')
    parser.add_argument('--out-dir', help='keep the exported folder here')
    parser.add_argument('--max-images', type=int,
                        help='the first N test images (default: all)')
    parser.add_argument('--batch-size', type=int, default=64)
    args = parser.parse_args(argv)
    result = hf_agreement(args.config, args.checkpoint, args.out_dir,
                          args.max_images, args.batch_size)
    print(f'| images | same top-1 | mmdeit top-1 | transformers top-1 |\n'
          f'| ---: | ---: | ---: | ---: |\n'
          f'| {result["images"]} | {result["agreement"]:.2f} % | '
          f'{result["mmdeit_top1"]:.2f} | {result["hf_top1"]:.2f} |')
    for note in result['notes']:
        print(f'note: {note}')
    for path in result['differing'][:10]:
        print(f'differs: {path}')
    return result


if __name__ == '__main__':
    main()
