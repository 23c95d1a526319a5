"""Search one index: a short pipeline of named steps.

``Retriever.search`` runs, in order:

1. ``query.prepare`` — normalize, tokenize, expand (``qa.search.expand``), find places;
2. ``candidates.gather`` — the lexical and dense top clauses, both scores exact;
3. ``fusion.fuse`` — one first-stage score per candidate (hybrid, RRF, or one side);
4. ``rerank.features`` + ``rerank.rescore`` — the top ``rerank_depth`` re-scored;
5. ``lists.members_first`` — asked for the members of a list, a member first, not the
   clause that announces the list; ``diversify.diversify`` — the best clause of each place
   first, when asked for; ``asks.asked_part_first`` — a document's sign-off or contact block
   first, when asked for;
6. ``judge`` — the answer's status and reasons: is the first clause on topic (a calibrated
   model), and what do the rules of ``qa.search.scope`` say the documents lack (a place, a
   year, a detail)? A place no document covers keeps the search to national documents.

Every weight and threshold comes from :class:`qa.search.config.RetrievalConfig`.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import NamedTuple

import numpy as np

from qa.ingest.kinds import BODY, CONTACT
from qa.models import Encoder
from qa.search.asks import (
    CONTACT_WORDS,
    CONTACT_WORDS_EN,
    OF_DRAFT,
    asked_part_first,
    content_words,
    names_topic,
    yes_or_no,
)
from qa.search.candidates import Candidates, gather
from qa.search.config import RetrievalConfig
from qa.search.dictionary import EnglishDictionary, terminology
from qa.search.diversify import diversify, wants_each
from qa.search.expand import Expander
from qa.search.filters import Filters, allowed_mask
from qa.search.fusion import Mode, fuse, minmax
from qa.search.gazetteer import NATIONAL, Place
from qa.search.index import Index
from qa.search.judge import Judgement, Reason, Signals, coverage_of, decide, on_topic, unknown_share
from qa.search.lists import members_first
from qa.search.places import uncovered
from qa.search.query import Query, prepare
from qa.search.rerank import Candidate, features, rescore, weighted_share, without_title
from qa.search.scope import (
    detail_reasons,
    document_reasons,
    edition_of,
    edition_reasons,
    place_scope,
    year_reasons,
    years_of,
)
from qa.search.tokens import STOPWORDS, cached_tokens, in_dictionary, tokenize

CANDIDATE_CACHE = 200_000
CONTACT_TOPIC_SHARE = 0.3  # of the question's topic words, beyond the contact, the document's own
QUERY_CACHE = 1024
# single characters that are stop words: a word jieba made up around one is the question's wording
FUNCTION_CHARS = frozenset(w for w in STOPWORDS if len(w) == 1 and not w.isascii())


class Results(NamedTuple):
    """Top clauses for one query: positions into ``Index.chunks``, their scores, and the judgement."""

    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    judgement: Judgement
    # the query's words as matched, then the policy terms its expansion added (an English or
    # colloquial question's words in the documents' own language): for highlighting
    terms: tuple[str, ...] = ()

    @property
    def confident(self) -> bool:
        return self.judgement.confident

    @property
    def status(self) -> str:
        return self.judgement.status

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self.judgement.reasons


def _empty(unknown: float, reasons: tuple[Reason, ...] = (), terms: tuple[str, ...] = ()) -> Results:
    empty = np.zeros(0, dtype=np.float32)
    signals = Signals(0.0, 0.0, unknown, 0.0, 0.0, 0.0, 0.0)
    return Results(empty.astype(np.int64), empty, empty, empty, decide(False, False, 0.0, signals, reasons), terms)


def _names_place(text: str, at: int, province: str) -> bool:
    """Does the county name at ``at`` in ``text`` stand as the place: after the name of a
    province, city or prefecture (…省, …市, …州, …盟) or near its province's name?"""
    before = text[max(0, at - 12) : at]
    return bool(before) and (before[-1] in "省市州盟" or province in before)


class Retriever:
    """Searches one loaded index with one encoder."""

    def __init__(self, index: Index, encoder: Encoder, config: RetrievalConfig | None = None) -> None:
        if encoder.fingerprint != index.manifest.model_fingerprint:
            raise ValueError(f"index was built with {index.manifest.model_name}, not {encoder.name}; run: qa index")
        self.index = index
        self.encoder = encoder
        self.config = config or RetrievalConfig.load()
        terms = terminology(index.lexical.__contains__, index.lexical.df) if index.chunks else {}
        self.expander = Expander.default().with_dictionary(
            EnglishDictionary(index.english, terms) if index.english or terms else None
        )
        self.store = index.store
        # BM25 runs in the store when it has full-text search (Milvus), else locally
        self.lexical = index.lexical
        self._lexical_search = self.store.text_search if self.store.full_text else self.lexical.search
        self._doc_of = np.array([c.doc_id for c in index.chunks])
        self._kind_of = np.array([c.kind for c in index.chunks])
        self._kind_masks: dict[frozenset[str], np.ndarray] = {}
        self._region_of = {d.doc_id: d.region for d in index.docs.values()}
        self._editions = {d.doc_id: frozenset(years_of([d.title], d.year)) for d in index.docs.values()}
        # documents that are one year's plan, with its year (the title names it: "2019年…重点任务")
        self._edition = {d.doc_id: y for d in index.docs.values() if (y := edition_of(d.title)) is not None}
        self._regions = sorted({r for r in self._region_of.values() if r})
        self._covered = set(self._regions)
        self._candidates: dict[int, Candidate] = {}  # filled as clauses reach the re-ranker
        self._title_words: dict[str, frozenset[str]] = {}  # each document's title, tokenized on first use
        positions = np.arange(len(index.chunks))
        self._sent_start = np.searchsorted(index.sentence_owner, positions, side="left")
        self._sent_end = np.searchsorted(index.sentence_owner, positions, side="right")
        self._query_cache: dict[str, np.ndarray] = {}
        self._place_words: dict[str, bool] = {}  # county name → used as a word by the documents
        self._cache_lock = threading.Lock()

    # -- the pipeline -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        config: RetrievalConfig | None = None,
    ) -> Results:
        """The ``k`` best clauses for ``query`` (normalized here, like the documents), judged."""
        cfg = config or self.config
        q = self._prepare(query, cfg, expand=cfg.expand)
        if q.empty or not self.index.chunks:
            return _empty(1.0)
        cfg = cfg.for_language(q.english)
        terms = tuple(dict.fromkeys([*q.tokens, *q.extra]))
        scope, reasons = place_scope(q.places, self._covered)
        if filters is None or filters.empty():
            filters = scope  # a place no document covers: what national documents say
        qv = self.encode_query(q.dense_text)
        c = min(len(self.index.chunks), max(cfg.candidates, 4 * k))
        cands = gather(self.store, self._lexical_search, q.groups, qv, c, k, self._allowed(q, filters))
        if cands.positions.size == 0:  # the filters allow no clause at all
            return _empty(self.unknown_share(q), tuple(reasons), terms)
        fused = fuse(mode, cands.dense, cands.lexical, cfg.dense_weight, cfg.rrf_k)
        scores = self._rerank(q, qv, cands, fused, cfg) if cfg.rerank and mode == "hybrid" else fused
        order = np.argsort(-scores, kind="stable")
        # one list asked for (not what each place says, nor the document's own details)
        listed = cfg.members_first and mode == "hybrid" and q.asks.members and len(q.regions) < 2
        listed = listed and not (q.asks.about_document or q.asks.parts)
        as_scored = order[:k] if listed else None  # the judgement reads its signals from these
        if listed:
            order = np.asarray(members_first(list(order), lambda i: int(cands.positions[i]), self.index.chunks))
        docs = [self._doc_of[int(i)] for i in cands.positions]
        if cfg.diversify and mode == "hybrid" and wants_each(q.text, q.regions) and not listed:
            order = np.asarray(diversify(list(order), docs, lambda doc: self._region_of.get(doc, ""), q.regions, k))
        order = np.asarray(asked_part_first(list(order), [self._kind_of[int(i)] for i in cands.positions], docs, q.asks))[:k]
        judgement = self._judge(q, qv, cands, fused, order, reasons, cfg, as_scored)
        return Results(
            cands.positions[order], scores[order].astype(np.float32), cands.dense[order], cands.lexical[order], judgement, terms
        )

    def _judge(
        self,
        q: Query,
        qv: np.ndarray,
        cands: Candidates,
        fused: np.ndarray,
        order: np.ndarray,
        reasons: list,
        cfg: RetrievalConfig,
        ranked: np.ndarray | None = None,
    ) -> Judgement:
        """Step 6: is the first clause on topic, and what do the rules say the documents lack?
        ``ranked``: the order as scored, when a member of a list was put first (``lists``)."""
        topic = self.topic_terms(q)
        # a sign-off or contact block asked for and put first speaks for its document: whether
        # that document is on topic is read from the clause that ranked first before it
        moved = order.size > 1 and self._kind_of[int(cands.positions[order[0]])] in q.asks.parts
        if ranked is None:
            ranked = order[1:] if moved else order
        s = self.signals(q, qv, cands, fused, ranked, topic)
        topical, p = on_topic(
            s,
            cfg.calibration(),
            max_unknown=cfg.no_match_unknown,
            min_dense=cfg.no_match_dense,
            min_coverage=cfg.no_match_coverage,
        )
        first = int(cands.positions[order[0]])
        if moved and self._kind_of[first] == CONTACT:
            topical = self._contact_answers(q, topic, first, judged=topical)
        named = [pl.province for pl in q.places if pl.province in self._covered and pl.province != NATIONAL]
        scope_docs = self._docs_in(named)
        # a figure of another province's document does not answer a question about this one
        label = "、".join(dict.fromkeys(named))
        shown = [int(cands.positions[i]) for i in order[:3]]
        shown = [p for p in shown if self._doc_of[p] in scope_docs]
        reasons = [
            *reasons,
            *(document_reasons(q.asks.quoted, [d.title for d in self.index.docs.values()]) if q.asks.quoted else ()),
            *(
                year_reasons(q.asks.years, scope_docs, self.doc_years, label, q.asks.periods)
                if q.asks.years or q.asks.periods
                else ()
            ),
            *(self._edition_reasons(q) if q.asks.editions else ()),
            *(
                detail_reasons(
                    q.asks.details,
                    [self.index.chunks[p].text for p in shown],
                    sorted(topic, key=lambda t: -self.idf(t)),  # rarest first
                    [self._doc_of[p] in self._edition for p in shown],
                    anchors=self._anchors(topic),
                    parts=[self._kind_of[p] != BODY for p in shown],
                )
                if q.asks.details
                else ()
            ),
        ]
        return decide(True, topical, p, s, reasons)

    def _contact_answers(self, q: Query, topic: dict[str, float], contact: int, judged: bool) -> bool:
        """Does a document's contact block answer the question? Its person and number are for
        the document as a whole, so the question's topic words beyond the contact itself must
        be the document's, named in its title or headings ("湖南城镇化工作要点的联系电话" yes,
        "湖南公积金的联系人", "湖南省政府的联系电话" no), whatever the clause that ranked before
        the contact block speaks of. A question that names the document as a draft for comments
        may name words of its opening too ("书面意见反馈"). A share of CONTACT_TOPIC_SHARE
        suffices: an English question's words come with renderings that are not all the
        document's ("work" → 工作, 劳动); but a word no clause uses (高考) names something the
        document does not treat. A question naming nothing beyond the contact is judged by the
        clause that ranked before the block ("湖南的联系电话"), unless it names the draft."""
        contact_words = CONTACT_WORDS_EN if q.english else CONTACT_WORDS
        rest = {t: w for t, w in topic.items() if t in content_words([t]) and not contact_words.search(t)}
        draft = bool(q.asks.about_document or OF_DRAFT.search(q.text.lower()))
        if not rest:
            return judged or draft
        if any(not self.idf(t) for t in rest):
            return False
        have = set(self.candidate(contact).heading_tokens)
        doc, p = self._doc_of[contact], contact - 1
        while draft and p >= 0 and self._doc_of[p] == doc and self._kind_of[p] != BODY:  # its opening, above it
            have |= self.candidate(p).tokens
            p -= 1
        return self._share_found(rest, frozenset(have)) >= CONTACT_TOPIC_SHARE

    def _edition_reasons(self, q: Query) -> list[Reason]:
        """Yearly plans asked for by year, in the regions named (the nation too: a national
        plan of that year); with none named, in any region."""
        named = list(dict.fromkeys(pl.province for pl in q.places if pl.province in self._covered))
        label = "、".join("国家层面" if r == NATIONAL else r for r in named)
        return edition_reasons(q.asks.editions, self._docs_in(named), self._edition, label)

    def _docs_in(self, regions: list[str]) -> set[str]:
        """The documents of ``regions``; of every region when none is named."""
        return {d for d, r in self._region_of.items() if r in regions} if regions else set(self._region_of)

    def _anchors(self, topic: dict[str, float]) -> list[str]:
        """The question's more specific topic words — those at least as rare in the clauses as
        the median one — beside which a clause must state the detail asked for: a count beside
        改造 is not one of 城中村."""
        idf = {t: self.idf(t) for t in content_words(list(topic))}
        known = sorted((v for v in idf.values() if v > 0), reverse=True)
        if not known:
            return list(idf)
        median = known[len(known) // 2]  # the lower median: of two words, both
        return [t for t, v in idf.items() if v >= median or v == 0]

    def _topic_coverage(self, terms: dict[str, float], positions: np.ndarray) -> float:
        """IDF-weighted share of the topic words found in these clauses; a word the corpus
        never uses weighs as much as its rarest word, so "高考加分" scores 0."""
        if not terms:
            return 1.0
        have = frozenset().union(*(self.candidate(int(p)).tokens | self.candidate(int(p)).heading_tokens for p in positions))
        return self._share_found(terms, have)

    def _share_found(self, terms: dict[str, float], have: frozenset[str]) -> float:
        """IDF-weighted share of ``terms`` in ``have``, a word no clause uses weighing as the rarest."""
        rarest = float(np.log(1 + (self.lexical.n + 0.5) / 0.5))  # the idf of a word in no clause
        return weighted_share(terms, have, lambda t: self.idf(t) or rarest)

    def signals(
        self, q: Query, qv: np.ndarray, cands: Candidates, fused: np.ndarray, order: np.ndarray, topic: dict[str, float]
    ) -> Signals:
        """What the judgement reads about the first clause (``qa.search.judge.Signals``);
        ``topic``: the question's ``topic_terms``."""
        i = int(order[0])
        first = int(cands.positions[i])
        ranked = np.sort(minmax(fused.astype(np.float64)))[::-1]
        dense_top = set(np.argsort(-cands.dense, kind="stable")[:10].tolist())
        lexical_top = set(np.argsort(-cands.lexical, kind="stable")[:10].tolist())
        return Signals(
            top_dense=float(cands.dense.max()),
            coverage=coverage_of(q.terms, self.candidate(first).tokens, self.idf),
            unknown=self.unknown_share(q),
            best_sentence=float(self.best_sentence([first], qv)[0]),
            margin=float(ranked[0] - ranked[1]) if ranked.size > 1 else 1.0,
            agreement=0.5 * (i in dense_top) + 0.5 * (i in lexical_top),
            english=1.0 if q.expansion is not None and q.expansion.english else 0.0,
            topic_coverage=self._topic_coverage(topic, cands.positions[order[:3]]),
        )

    def _rerank(self, q: Query, qv: np.ndarray, cands: Candidates, fused: np.ndarray, cfg: RetrievalConfig) -> np.ndarray:
        top = np.argsort(-fused, kind="stable")[: cfg.rerank_depth]
        positions = [int(cands.positions[i]) for i in top]
        feats = features(
            q.text,
            q.terms,
            q.regions,
            fused[top],
            [self.candidate(p) for p in positions],
            self.idf,
            self.best_sentence(positions, qv),
            q.asks.about_document,
            q.asks.years,
            q.asks.details,
        )
        return rescore(fused, top, feats, cfg.weight_vector())

    # -- what the steps read ----------------------------------------------------------------

    def _prepare(self, question: str, cfg: RetrievalConfig, expand: bool = True) -> Query:
        """Step 1: the question ready for searching, a county name the documents use as a
        word (``place_word``) not read as a place."""
        q = prepare(
            question,
            self.expander if expand else None,
            self._regions,
            cfg.expansion_weight if expand else 0.0,
            cfg.coverage_expansion_weight if expand else 0.0,
            cfg.english_sources,
        )
        words = [p.name for p in q.places if self.place_word(p)]
        return q.without_places(words, self._regions) if words else q

    def place_word(self, place: Place) -> bool:
        """Is this county's name an ordinary word of the documents? It is when a provincial
        document of another region uses it other than as the place: 山西's "在老城区结合棚户区
        改造" is the old town, not 洛阳's district, while "河南省洛阳市老城区" names the district.
        National documents, which may list counties anywhere, do not count; nor do county-level
        cities (义乌市), provinces and cities, which a document may well name elsewhere."""
        if place.level != "county" or place.name.endswith("市"):
            return False
        word = self._place_words.get(place.name)
        if word is None:
            word = any(
                not _names_place(text, m.start(), place.province)
                for region, text in self._region_texts.items()
                if region != place.province
                for m in re.finditer(re.escape(place.name), text)
            )
            self._place_words[place.name] = word  # one name, one answer: no lock needed
        return word

    @functools.cached_property
    def _region_texts(self) -> dict[str, str]:
        """The clauses of each region's documents, national ones aside, as one text per region:
        built when a question first names a county, not when the index is opened."""
        texts: dict[str, list[str]] = {}
        for c in self.index.chunks:
            region = self._region_of.get(c.doc_id, "")
            if region and region != NATIONAL:
                texts.setdefault(region, []).append(c.text)
        return {r: "\n".join(t) for r, t in texts.items()}

    def _allowed(self, q: Query, filters: Filters | None) -> np.ndarray:
        """Clauses that may answer: of a kind the question allows (page furniture never; a
        sign-off, contact block or title only when asked for), within the filters."""
        kinds = q.asks.kinds
        mask = self._kind_masks.get(kinds)
        if mask is None:
            mask = np.isin(self._kind_of, list(kinds))
            self._kind_masks[kinds] = mask
        by_filter = allowed_mask(filters, self._doc_of, self.index.docs.values())
        return mask if by_filter is None else mask & by_filter

    @functools.cached_property
    def doc_years(self) -> dict[str, set[int]]:
        """The years each document covers (``scope.years_of``): read from every clause, so
        built when a question first names a year, not when the index is opened."""
        texts: dict[str, list[str]] = {}
        for c in self.index.chunks:
            texts.setdefault(c.doc_id, []).append(c.text)
        return {d.doc_id: years_of([d.title, *texts.get(d.doc_id, [])], d.year) for d in self.index.docs.values()}

    def encode_query(self, text: str) -> np.ndarray:
        """Query vector, cached: the same question asked again costs no model call."""
        v = self._query_cache.get(text)
        if v is None:
            v = self.encoder.encode_queries([text])[0]
            with self._cache_lock:  # the web page searches from several threads
                if len(self._query_cache) >= QUERY_CACHE:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[text] = v
        return v

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._query_cache.clear()

    def candidate(self, pos: int) -> Candidate:
        """The re-ranker's view of one clause (tokenized on first use, then kept)."""
        cand = self._candidates.get(pos)
        if cand is None:
            c = self.index.chunks[pos]
            title = self.index.docs[c.doc_id].title
            body = without_title(c.text, title)
            title_words = self._title_words.get(c.doc_id)
            if title_words is None:  # once per document, shared by its clauses
                title_words = self._title_words[c.doc_id] = frozenset(tokenize(title))
            cand = Candidate(
                frozenset(tokenize(body)),
                frozenset(tokenize(" ".join(c.section) + " " + title)),
                body,
                self._region_of.get(c.doc_id, ""),
                c.kind,
                self._editions.get(c.doc_id, frozenset()),
                title_words,
            )
            with self._cache_lock:
                if len(self._candidates) >= CANDIDATE_CACHE:
                    self._candidates.pop(next(iter(self._candidates)))
                self._candidates[pos] = cand
        return cand

    def unknown_share(self, q: Query) -> float:
        """Share of the question's words no clause or word list knows; an A-not-A form (认不认)
        asks yes or no, and a piece of the question's wording (``is_phrasing``) names nothing:
        neither is counted. A piece the thesaurus accounts for stays, as a known word (一金 of
        五险一金)."""
        exp = q.expansion
        wording = {t for t in q.tokens if self.is_phrasing(t) and not (exp and exp.covers(t))}
        return unknown_share([t for t in q.tokens if not yes_or_no(t) and t not in wording], exp, self.lexical)

    def is_phrasing(self, token: str) -> bool:
        """Is ``token`` a piece of the question's wording rather than a word? One the clauses
        do not use, that jieba made up (``in_dictionary``) around a function word
        (``FUNCTION_CHARS``), of characters all found in the clauses: "开电动车的,小区里会不会
        多建点充电桩?" gives 里会, which says nothing the documents lack. A made-up word of
        content characters alone (网红, 双减) may be a new topic, and one with a character no
        clause has (养狗要: 狗) names one: both still count as unknown."""
        return (
            not token.isascii()
            and token not in self.lexical
            and any(ch in FUNCTION_CHARS for ch in token)
            and not in_dictionary(token)
            and all(ch in self.lexical.characters for ch in token)
        )

    def best_sentence(self, positions: list[int], qv: np.ndarray) -> np.ndarray:
        """For each clause, the cosine of its sentence closest to the query vector."""
        out = np.empty(len(positions), dtype=np.float32)
        vecs = np.asarray(self.index.sentence_vectors)  # a plain view: slicing a memmap costs a new object each time
        for j, p in enumerate(positions):
            a, b = self._sent_start[p], self._sent_end[p]
            out[j] = float((vecs[a:b] @ qv).max()) if b > a else float(self.store.score(qv, np.array([p]))[0])
        return out

    # -- what an answer asks of a shown clause ------------------------------------------------

    def topic_terms(self, q: Query) -> dict[str, float]:
        """The question's words without its place names, years, framing and asking words (怎么, 规定, 哪几个,
        政策 …), with their weights: what a clause must speak of to address it. The pieces the
        tokenizer cuts from an A-not-A form (不算 of 算不算) go with it."""
        place_words = {t for p in q.places for t in cached_tokens(p.name.lower())} | set(self._regions)
        forms = [t for t in q.terms if yes_or_no(t)]
        return {
            t: w
            for t, w in q.terms.items()
            if t not in place_words
            and names_topic(t)
            and not t.isdigit()
            and not any(t in pw for pw in place_words)
            and not any(t in f for f in forms)
        }

    def topic(self, question: str) -> tuple[dict[str, float], str]:
        """The question's topic terms, and the most specific of them that the corpus knows."""
        q = self._prepare(question, self.config)
        terms = self.topic_terms(q)
        known = [t for t in terms if self.idf(t) > 0]
        key = max(known, key=lambda t: (terms[t], self.idf(t)), default="")
        return terms, key

    def addresses(self, topic: tuple[dict[str, float], str], chunk_id: str) -> bool:
        """Does this clause speak of the question's ``topic`` (what ``topic()`` returns): its most
        specific word, or half its words?"""
        pos = self.index.position(chunk_id)
        terms, key = topic
        tokens = self.candidate(pos).tokens | self.candidate(pos).heading_tokens - set(self._regions)
        return bool(key and key in tokens) or coverage_of(terms, tokens, self.idf) >= 0.5

    def places_compared(self, question: str) -> tuple[list[str], list[Place]]:
        """For a comparison: the covered regions the question names (in order), and the places no document covers."""
        q = self._prepare(question, self.config, expand=False)
        regions = [r for r in q.regions if r in self._covered]
        return (regions if len(q.regions) >= 2 else []), uncovered(q.places, self._covered)

    @property
    def covered(self) -> frozenset[str]:
        """The regions (provinces, 全国) that the corpus has documents for."""
        return frozenset(self._covered)

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` over the clauses (0 when unseen)."""
        return self.lexical.idf(term)
