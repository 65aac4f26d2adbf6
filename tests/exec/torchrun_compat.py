# torchrun (torch.distributed.run) for the tests. Debian's torch 1.13 under Python 3.11+ fails before
# starting any worker: Std.from_str() returns None for the default --redirects/--tee and to_map() then
# calls None.get(). Default those to Std.NONE, then run torchrun unchanged.
import sys

import torch.distributed.elastic.multiprocessing as mp
import torch.distributed.elastic.multiprocessing.api as api

_to_map = api.to_map


def to_map(value, local_world_size):
    return _to_map(api.Std.NONE if value is None else value, local_world_size)


api.to_map = mp.to_map = to_map

from torch.distributed.run import main  # noqa: E402

sys.exit(main())
