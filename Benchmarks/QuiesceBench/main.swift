import Quiesce
