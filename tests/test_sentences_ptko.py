"""Sentences in Portuguese and Korean news: docmill's rules for languages pysbd lacks.

The paragraphs were written for these tests. Each expected list is what a reader of
the language takes for the sentences; pysbd's English (or bare Standard) rules
split several of them wrongly (``Sra.``, ``n.º``, ``séc. XIX``, ``“…간다.”라고``,
``2024. 3. 5.``, ``Inc.와``).
"""

from __future__ import annotations

import pysbd
import pytest

from docmill.records import Segment
from docmill_builtins.segment_text import (
    SENTENCE_LANGUAGES,
    paragraphs,
    sentence_language,
    sentences,
)
from tests.conftest import run_builtins


def split(text: str, language: str) -> list[str]:
    """The sentences of ``text`` by the rules for ``language``."""
    return [text[s:e] for ps, pe in paragraphs(text) for s, e in sentences(text, ps, pe, language)]


PORTUGUESE = [
    "O Sr. João Silva, diretor da Metrô Lda., anunciou nesta segunda-feira que a "
    "Linha 2 terá mais 3,5 km.",
    "A obra, prevista no art. 5.º do contrato n.º 41/2023, custará R$ 1,2 bi.",
    "“A estação vai abrir em dez. de 2025.",
    "Será a 12.ª da linha”, disse a Dra. Ana Costa, moradora da Av. Paulista.",
    "Segundo o Prof. Carlos Lima, o projeto remonta ao séc. XIX.",
    "Trens, ônibus, bicicletas etc. estarão integrados a partir de 1.º de maio.",
    "Quem paga a conta?",
    "O governo federal, diz a Sra. Costa.",
]

KOREAN = [
    "서울시는 5일 지하철 9호선 연장 구간을 개통했다고 밝혔다.",
    "총사업비는 당초보다 3.5% 늘어난 1조 2000억 원이다.",
    "오세훈 시장은 “강남까지 20분이면 간다.”라고 말했다.",
    "한 주민은 ‘정말 기다렸다!’며 반겼다.",
    "개통식은 2024. 3. 5.에 열렸다.",
    "미국 Apple Inc.와 Dr. Kim도 참석했다.",
    "요금은 오를까?",
    # a quotation of two sentences is split inside, as docmill does in English
    "시는 “당분간 동결한다.",
    "다만 내년에는 검토하겠다”고 밝혔다.",
]


def test_portuguese_news_paragraph() -> None:
    text = " ".join(PORTUGUESE)
    assert split(text, "pt") == PORTUGUESE


def test_portuguese_abbreviations_and_ordinals_end_a_sentence_before_a_capital() -> None:
    text = (
        "O contrato foi assinado pela Metrô Lda. Ela tem 500 funcionários. Foram doados "
        "livros, revistas etc. O resto foi vendido. O time terminou em 2.º. A rival ficou "
        "em 3.ª. Ele mora na R. Augusta, 1.500, desde o séc. XX. A Sr.ª Lima chegou. "
        "Ela leva livros, cadernos etc. às escolas."
    )
    assert split(text, "pt") == [
        "O contrato foi assinado pela Metrô Lda.",
        "Ela tem 500 funcionários.",
        "Foram doados livros, revistas etc.",
        "O resto foi vendido.",
        "O time terminou em 2.º.",
        "A rival ficou em 3.ª.",
        "Ele mora na R. Augusta, 1.500, desde o séc. XX.",
        "A Sr.ª Lima chegou.",
        "Ela leva livros, cadernos etc. às escolas.",
    ]


def test_korean_news_paragraph() -> None:
    text = " ".join(KOREAN)
    assert split(text, "ko") == KOREAN


def test_korean_full_width_punctuation_ends_sentences() -> None:
    text = "회의는 끝났다。 다음 회의는 7일이다！ 누가 참석할까？ 모두 참석한다."
    assert split(text, "ko") == [
        "회의는 끝났다。",
        "다음 회의는 7일이다！",
        "누가 참석할까？",
        "모두 참석한다.",
    ]


@pytest.mark.parametrize(
    ("headline", "body", "language"),
    [
        ("Metrô ganha nova estação", PORTUGUESE, "pt"),
        ("지하철 9호선 연장 구간 개통", KOREAN, "ko"),
    ],
)
def test_a_detected_document_gets_its_sentences_with_exact_offsets(
    headline: str, body: list[str], language: str
) -> None:
    text = f"{headline}\n\n{' '.join(body[:4])}\n\n{' '.join(body[4:])}\n"
    result = run_builtins(text)
    assert result.document is not None and result.document.language == language
    found = [s for s in result.records(Segment) if s.type == "sentence"]
    assert [text[s.start : s.end] for s in found] == [s.text for s in found]
    assert [s.text for s in found] == [headline, *body]


def test_the_languages_are_docmills_and_pysbd_is_left_as_it_is() -> None:
    assert {"pt", "ko"} <= SENTENCE_LANGUAGES
    assert sentence_language("pt-BR") == "pt" and sentence_language("ko-KR") == "ko"
    assert sentence_language("tr") is None
    # registered in docmill's segmenter only: the process's pysbd still has no pt or ko
    assert not {"pt", "ko"} & set(pysbd.languages.LANGUAGE_CODES)
    with pytest.raises(ValueError):
        pysbd.Segmenter(language="pt")
