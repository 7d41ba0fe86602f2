"""Topic modelling of participant speech with BERTopic, imported only when a model is fitted.

``CLUSTERERS`` is the registry of clustering methods (``--method``): ``hdbscan`` (the
default) and ``kmeans``. Importing this package loads none of UMAP, HDBSCAN or BERTopic.
"""

from __future__ import annotations

from qualmine.topics.alignment import (
    EMERGENT_RATIO,
    CodebookAlignment,
    TopicAlignment,
    align_topics,
)
from qualmine.topics.coherence import Coherence, topic_coherence
from qualmine.topics.drafts import draft_codebook, write_draft
from qualmine.topics.fillers import FILLER_PHRASES, FILLERS, topic_stop_words
from qualmine.topics.model import CLUSTERERS, TopicModel
from qualmine.topics.modelling import (
    FittedTopics,
    TopicRequest,
    TopicRunResult,
    fit_topics,
    run_topics,
)
from qualmine.topics.records import TopicRun, TopicRunInfo, list_topic_runs, read_topic_run
from qualmine.topics.section import TopicsSection, topics_section
from qualmine.topics.settings import MIN_UNITS, TopicSettings, scaled_settings
from qualmine.topics.stability import Stability, measure_stability
from qualmine.topics.view import TopicView, load_topic_view

__all__ = [
    "CLUSTERERS",
    "EMERGENT_RATIO",
    "FILLERS",
    "FILLER_PHRASES",
    "MIN_UNITS",
    "CodebookAlignment",
    "Coherence",
    "FittedTopics",
    "Stability",
    "TopicAlignment",
    "TopicModel",
    "TopicRequest",
    "TopicRun",
    "TopicRunInfo",
    "TopicRunResult",
    "TopicSettings",
    "TopicView",
    "TopicsSection",
    "align_topics",
    "draft_codebook",
    "fit_topics",
    "list_topic_runs",
    "load_topic_view",
    "measure_stability",
    "read_topic_run",
    "run_topics",
    "scaled_settings",
    "topic_coherence",
    "topic_stop_words",
    "topics_section",
    "write_draft",
]
