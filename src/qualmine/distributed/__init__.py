"""Large corpora: the per-document stages on Dask, topics on a sample, fast embedders checked.

`qualmine run --scheduler ADDRESS` (a running ``dask scheduler``) or ``--workers N`` (a
LocalCluster of N worker processes on this machine) runs the stages that read one document
at a time on Dask: parsing, sentence segmentation, rule coding and embedding. Workers only
compute; this process, the client, writes everything to the project file, in the same
order and with the same functions as a local run: the documents and their segments, the
rule coder's run, and the embedding cache. The cache stays the single source of vectors: a
worker returns the vectors of texts the cache lacks, the client stores them, and every
later stage reads them from the cache, as in a local run. So a Dask run stores the same
documents, segments, rule codings and cache entries as a local run; its vectors can differ
from a local run's in the last bits (another process, other batches), so its semantic
codings and topics equal a local run's exactly when both read the same cache. Workers read
the transcript files by path: on a remote cluster the project folder must be at the same
path on every worker (a shared file system). `fill_embedding_cache` runs the embedding
stage in this process instead, a batch of documents at a time, so that its memory stays
flat however large the corpus.

Topic modelling stays in this process. Above ``SAMPLE_UNITS`` units (20,000 participant
sentences, about twice the 250-interview S corpus) the model is fitted on a seeded sample
of that many units and every other unit takes the topic of its most similar sampled unit
(cosine of the embeddings); below it `run_topics` runs unchanged.

`compare_embedders` reports how close a fast embedder comes to MiniLM on a project's own
units: Cohen's kappa of the semantic coder's code assignments, and the adjusted Rand index
of topic assignments beside MiniLM's own seed-to-seed ARI.
"""

from __future__ import annotations

from qualmine.distributed.comparison import EmbedderComparison, binary_kappa, compare_embedders
from qualmine.distributed.sampling import (
    SAMPLE_UNITS,
    fit_sampled_topics,
    model_topics,
    nearest_labels,
)
from qualmine.distributed.stages import (
    ClusterSpec,
    DocumentStages,
    dask_client,
    run_document_stages,
)
from qualmine.distributed.vectors import (
    DOCUMENTS_PER_TASK,
    TEXTS_PER_TASK,
    fill_embedding_cache,
    segment_units,
    unit_rows,
)

__all__ = [
    "DOCUMENTS_PER_TASK",
    "SAMPLE_UNITS",
    "TEXTS_PER_TASK",
    "ClusterSpec",
    "DocumentStages",
    "EmbedderComparison",
    "binary_kappa",
    "compare_embedders",
    "dask_client",
    "fill_embedding_cache",
    "fit_sampled_topics",
    "model_topics",
    "nearest_labels",
    "run_document_stages",
    "segment_units",
    "unit_rows",
]
