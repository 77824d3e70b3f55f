"""Find and redact personal data in a question before it is logged, embedded, stored or emailed.

Two passes. First rules, which are fast and exact: emails, UK phone numbers, National Insurance
numbers, NHS numbers, postcodes (all by shape: an invalid or specimen number is still redacted),
dates in a birth context, and names marked by a title ("Mrs Patel") or by context ("my colleague
Sarah", "a resident called Joe"). Then people's names found by Presidio's spaCy NER
(``bot.core.pii_presidio``), filtered so that places, products, team names, job titles, task
verbs ("Summarise") and sentence-initial words are not taken for names.
If Presidio can't be loaded the rules still run, and a warning is logged once.

``redact(text)`` returns the text with each item replaced by a placeholder such as
``[NHS number]`` or ``[name]``; everything else is left as it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from bot.core import pii_presidio
from bot.core.text import normalise

EMAIL = "email address"
NHS = "NHS number"
NAME = "name"
PHONE = "phone number"
NINO = "NI number"
POSTCODE = "postcode"
DOB = "date of birth"
ADDRESS = "address"
SORT_CODE = "sort code"
ACCOUNT = "account number"
KINDS = (EMAIL, NHS, NAME, PHONE, NINO, POSTCODE, DOB, ADDRESS, SORT_CODE, ACCOUNT)


@dataclass(frozen=True)
class Redaction:
    """The question with personal data replaced, and which kinds were found (in text order)."""

    text: str
    kinds: tuple[str, ...]

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def nhs_number_valid(digits: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number (not used to decide redaction: shape does)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def warm_up() -> bool:
    """Load the name detector now (it takes seconds) rather than on the first question.

    Returns whether Presidio is in use (False: rules only). Safe to call from several threads.
    """
    available = pii_presidio.available()
    redact("Warm-up: my colleague Jane Doe, jane.doe@example.org, 07700 900123, PR1 8XJ.")
    return available


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# -- identifiers ----------------------------------------------------------------------------
# Shape decides, never validity: issuing rules (prefixes HMRC never issues, the NHS check digit,
# postcode letters) tell a real number from a typo, but someone who types "my NI number is
# QQ 12 34 56 C" is still giving personal data, and a mistyped number is usually one digit away
# from a real one.

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# An address typed so a filter won't see it: "jane dot doe at gmail dot com", "jane(dot)doe(at)
# gmail(dot)com", "jane [at] example [dot] org", "jdoe at yahoo.com". An "at" between a word and
# a domain that ends in a known suffix, with the local part's dots and underscores spelled out too.
_SPELT_DOT = r"(?:\s*[(\[]\s*dot\s*[)\]]\s*|\s+dot\s+|\.)"
_SPELT_AT = r"(?:\s*[(\[]\s*at\s*[)\]]\s*|\s+at\s+|\s*@\s*)"
_SPELT_JOIN = rf"(?:{_SPELT_DOT}|\s+underscore\s+|\s+dash\s+|\s+hyphen\s+|[_-])"
_SPELT_EMAIL = re.compile(
    rf"(?<![\w.@])[\w'+-]+(?:{_SPELT_JOIN}[\w'+-]+)*{_SPELT_AT}[\w-]+(?:{_SPELT_DOT}[\w-]+)*"
    rf"{_SPELT_DOT}(?:com|org|net|co|uk|gov|nhs|ac|sch|edu|info|io|me|biz|eu|ie|pl|de|fr)\b"
    rf"(?:{_SPELT_DOT}(?:uk|com|org|net|ie|au)\b)?",
    re.I,
)
# +44 / 0044 (optionally bracketed, optionally "(0)") or a leading 0, then 9-10 national digits,
# which may be split by spaces, dashes, dots or a closing bracket: 07700 900123, 01772 533000,
# (01772) 533000, +44 (0)1772 533000, (+44) 7700 900123, 07700.900.123, 020 7946 0958.
# Any separator between digits: "+44-7700-900123", "+44.7700.900.123", "07700 - 900 - 123".
_PHONE = re.compile(
    r"(?<![\w+(])(?:\(?(?:\+|\b00)[\s.-]?44\)?[\s.-]{0,3}(?:\(0\)[\s.-]{0,3}|0[\s.-]{0,3})?|\(0\)\s?|\(?0)"
    r"[1-9](?:\)?[\s./-]{0,3}\d){8,9}(?!\d)"
)
# Separators people put in identifiers: spaces, dashes, dots, slashes ("QQ.12.34.56.C").
_GAP = r"[\s./-]{0,3}"
# NI number: two letters, six digits (2-2-2 or 3-3, any spacing or dashes), an optional letter.
# A spaced single "a" or "I" followed by a word is the next word, not the final letter.
_NINO = re.compile(
    rf"\b(?P<prefix>[A-Z]{{2}})(?P<gap>{_GAP})(?:\d{{2}}{_GAP}\d{{2}}{_GAP}\d{{2}}|\d{{3}}{_GAP}\d{{3}})"
    rf"(?P<suffix>{_GAP}(?-i:(?![aiI]\s+[A-Za-z]))[A-Z])?\b",
    re.I,
)
# "to 100000", "on 123 456", "no 123456": a word, then a number, is not an NI number; in capitals
# or with a final letter ("ON 12 34 56", "to 12 34 56 A") it is.
_TWO_LETTER_WORDS = _wordset("am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we")
# NHS number: 10 digits, grouped 3-3-4 (spaces or dashes) or none; valid check digit or not.
# Any separators, anywhere: "9434 765 919", "943.476.5919", "94 34 76 59 19"; ten digits and
# no more on either side.
_NHS = re.compile(r"(?<![\w+])(?<!\w-)(?<!\d[.,/])\d(?:[ \t./-]{0,3}\d){9}(?![\w]|[.,/-]\d)")
# Postcode: outward code (1-2 letters, a digit, an optional letter or digit), optional space,
# inward code (a digit, two letters); any case. "B2 2nd" (an ordinal) is not a postcode.
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?(?:\s{1,2}|-)?(?-i:(?!\d(?:st|nd|rd|th)\b))\d[A-Z]{2}\b", re.I)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'?\d{2})(?![\d:])"
_DATE = (
    rf"(?:{_DAY}[\s/.-]+(?:of\s+)?{_MONTH}(?:[\s,/.-]+{_YEAR})?"  # 12-Mar-1985, 12 Mar 85
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{1,2}\s\d{1,2}\s(?:\d{4}|\d{2})"
    r"|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"
    rf"|(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}}|\s+'\d{{2}})?"
    rf"|{_MONTH}\s+(?:19|20)\d{{2}}"
    rf"|{_MONTH}\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?"
    r"|(?:19|20)\d{2})(?![\w/])"
)
_BIRTH_CUE = r"(?:born|date\s+of\s+birth|birth\s*date|birthday|d\.?\s?o\.?\s?b\.?)"
# The date is what is redacted; the cue ("born on", "DOB:") stays so the question still reads.
_DOB = re.compile(
    rf"\b{_BIRTH_CUE}(?![a-z])\W{{0,3}}(?:(?:is|was|of|on|in|being|=)\s+){{0,2}}({_DATE})"
    rf"|({_DATE})\s*\((?:{_BIRTH_CUE}|date\s+of\s+birth)\)",
    re.I,
)


# Bank details. A sort code after a cue ("sort code 40 11 60", "s/c 200000"), or hyphenated
# 2-2-2 digits that can't be a date ("20-00-00": no month 00); an account number after a cue, an
# IBAN, or any other standalone 8-digit number (account, payroll and case numbers all identify).
_SORT_CODE = re.compile(
    r"\b(?i:sort[\s-]?code|s/c|bank\s+code)\W{0,3}(?:(?:is|was|of|=)\s+)?(\d{2}[\s.-]?\d{2}[\s.-]?\d{2})(?![\d.,/-]?\d)"
    r"|(?<![\w.,/-])(\d{2}-\d{2}-\d{2})(?![\w/]|[-.,]\d)"
)
_ACCOUNT_CUE = r"(?i:account|acc|acct|a/c)(?:\s+(?i:number|no\.?|num|#))?"
_ACCOUNT = re.compile(
    rf"\b{_ACCOUNT_CUE}\W{{0,3}}(?:(?:is|was|=)\s+)?(\d{{4}}[\s.-]?\d{{4}}|\d{{6,10}})(?![\d.,/-]?\d)"
    r"|\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?)\b"
    r"|(?<![\w.,/+-])(\d{8})(?![\w/]|[.,/-]\d)"
)
# A home address: a house number (not a year), up to three capitalised words and a street type
# ("12 Acacia Avenue", "16 St Annes Road West", "Flat 3, 45 Friargate": Lancashire's -gate streets).
_STREET = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Close|Cl|Drive|Dr|Way|Place|Pl|Court|Ct|Crescent|Cres|Grove|Gr"
    r"|Gardens|Gdns|Terrace|Terr|Row|Walk|Mews|View|Square|Sq|Hill|Park|Parade|Green|Rise|Fold|Brow|Cottages"
    r"|Meadows?|Croft|Bank|Chase|Vale|Wharf|Yard|Boulevard|Heights|Street|Wynd|Nook|Lea|Gate)"
)
_ADDRESS = re.compile(
    r"(?:\b(?:Flat|Apartment|Apt|Unit|Room|House)\s+\d{1,4}[A-Za-z]?,?\s+)?"
    r"(?<![\w.,/-])(?!(?:19|20)\d\d\b)\d{1,4}[A-Za-z]?,?\s+"
    rf"(?:(?:[A-Z][\w'’-]*\s+){{1,3}}{_STREET}\b(?:\s+(?:North|South|East|West))?|[A-Z][a-z]+gate\b)"
)


def _date_shaped(digits: str) -> bool:
    day, month = int(digits[:2]), int(digits[3:5])
    return 1 <= day <= 31 and 1 <= month <= 12


def _sort_code_span(m: re.Match[str]) -> tuple[int, int] | None:
    if m.group(1) is not None:
        return m.span(1)
    return None if _date_shaped(m.group(2)) else m.span(2)


def _group_span(m: re.Match[str]) -> tuple[int, int] | None:
    return next(m.span(g) for g in range(1, (m.re.groups or 0) + 1) if m.group(g) is not None)


def _nhs(m: re.Match[str]) -> bool:
    # A number starting 0 is left to the phone rule (NHS numbers in England don't start with 0).
    return not m.group(0).startswith("0")


def _nino(m: re.Match[str]) -> bool:
    prefix = m.group("prefix")
    a_word_then_a_number = (
        m.group("suffix") is None
        and any(c.isspace() for c in m.group("gap"))
        and not prefix.isupper()
        and prefix.lower() in _TWO_LETTER_WORDS
    )
    return not a_word_then_a_number


# kind, pattern, match group to replace, accept test
_Rule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], tuple[int, int] | None]]


def _whole(accept: Callable[[re.Match[str]], bool] | None = None) -> Callable[[re.Match[str]], tuple[int, int] | None]:
    def span(m: re.Match[str]) -> tuple[int, int] | None:
        return m.span() if accept is None or accept(m) else None

    return span


def _dob_span(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span(1) if m.group(1) is not None else m.span(2)


_RULES: list[_Rule] = [
    (EMAIL, _EMAIL, _whole()),
    (EMAIL, _SPELT_EMAIL, _whole()),
    (DOB, _DOB, _dob_span),
    (SORT_CODE, _SORT_CODE, _sort_code_span),
    (NINO, _NINO, _whole(_nino)),
    (ACCOUNT, _ACCOUNT, _group_span),
    # Phone before NHS: the national part of "0044 161 496 0123" is shaped like an NHS number.
    (PHONE, _PHONE, _whole()),
    (NHS, _NHS, _whole(_nhs)),
    (POSTCODE, _POSTCODE, _whole()),
    (ADDRESS, _ADDRESS, _whole()),
]

# -- names ----------------------------------------------------------------------------------


_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "councillor", "sir", "dame")
# Upper- and lower-case letters of the Latin, Greek and Cyrillic alphabets, so a name with an
# accent is one word: ASCII classes stopped "Wiśniewska" at the "ś" and left "[name]śniewska".
_BMP_LETTERS = [chr(c) for c in (*range(0x41, 0x250), *range(0x370, 0x530), *range(0x1E00, 0x1F00))]
_U = "".join(c for c in _BMP_LETTERS if c.isupper())
_L = "".join(c for c in _BMP_LETTERS if c.islower())
_UP, _LOW = f"[{re.escape(_U)}]", f"[{re.escape(_L)}]"
_NAME_WORD = rf"(?:{_UP}(?:['’]{_UP})?{_LOW}+(?:{_UP}{_LOW}+)?(?:-{_UP}{_LOW}+)?)"
# Particles inside Irish, Welsh, Scottish, Dutch, Arabic... surnames: "Siobhán Ní Bhriain", "Seán Ó Briain".
_PARTICLE = (
    r"(?:Ní|Nic|Ó|Ua|Mac|Mc|de|De|del|Del|della|di|Di|da|Da|dos|du|Du|van|Van|von|Von|der|den|ter"
    r"|bin|ibn|al|Al|el|El|ap|ab|le|Le|la|La)"
)
_NEXT_NAME = rf"\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}"
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Cllr|Councillor|Sir|Dame)\.?\s+"
    rf"(?:(?:{_UP}\.?\s+){{0,3}}{_NAME_WORD}(?:{_NEXT_NAME})?|{_PARTICLE}\s+{_NAME_WORD})"
    rf"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+(?:{_UP}\.?\s*){{1,3}}(?![\w.])"
)
_PERSON_NOUN = (
    r"(?:colleague|co-?worker|(?:line\s+)?manager|boss|supervisor|client|customer|resident|tenant|"
    r"service\s+user|carer|foster\s+carer|child|young\s+person|pupil|student|learner|patient|son|"
    r"daughter|husband|wife|partner|mother|mum|father|dad|brother|sister|grandmother|grandfather|"
    r"grandson|granddaughter|nan|neighbour|applicant|claimant|complainant|requester|employee|"
    r"member\s+of\s+staff|staff\s+member|social\s+worker|someone|somebody|man|woman|boy|girl|lady|"
    r"gentleman|person|parent|adopter|baby|victim|witness|visitor|volunteer|apprentice|contractor)s?"
)
_CONTEXT = re.compile(
    rf"\b(?i:{_PERSON_NOUN}),?\s+(?:(?i:called|named|known\s+as)\s+)?({_NAME_WORD}(?:{_NEXT_NAME}){{0,2}})"
    rf"|\b(?i:my\s+name\s+is|name\s+is|i\s+am|i'm|this\s+is)\s+({_NAME_WORD}(?:{_NEXT_NAME}){{0,2}})"
    rf"|(?:^|[.!?,]\s*)(?i:hi|hello|hey|dear|thanks|thank\s+you|cheers|regards|many\s+thanks|"
    rf"kind\s+regards|best\s+wishes),?\s+({_NAME_WORD}(?:{_NEXT_NAME})?)"
)

# Words that are not names on their own. A name span made only of these is dropped.
_FUNCTION_WORDS = _wordset(
    """i me my mine we us our you your he him his she her they them their it its this that these
    those a an the and or but so if then than as at by for from in into of on onto to with without
    about above after before between over under via per is are am was were be been being do does
    did done have has had can could will would shall should may might must need needs who whom
    whose what which when where why how whether please pls hi hello hey dear thanks thank cheers
    regards morning afternoon evening ok okay yes no not all any some each every also just only
    here there now today tomorrow yesterday urgent quick question query help fyi re fw fwd new
    old other another same such more most much many few someone somebody anyone everyone
    email e-mail emailed call called ring rang phone phoned text texted send sent tell ask asked
    check note notes update reminder important subject letter file case bcc cc"""
)
_PRODUCTS = _wordset(
    """chatgpt gpt gpt-4 gpt-4o gpt-5 openai copilot co-pilot microsoft teams ms otter otter.ai
    gemini bard google deepmind anthropic grammarly outlook excel word powerpoint sharepoint
    onedrive power bi automate forms planner loop viva yammer zoom webex slack whatsapp facebook
    instagram twitter linkedin tiktok youtube mosaic liquidlogic lcs ehm oracle fusion sap
    servicenow whisper deepseek perplexity midjourney dall-e firefly fireflies fathom notion
    canva adobe acrobat photoshop dropbox wetransfer egress windows android iphone ipad apple
    chrome edge bing azure aws github llama mistral granola tldv copilot365 m365 office365
    office intune defender purview entra gen genai gen-ai gmail hotmail yahoo icloud chatbot
    chatbots llm llms"""
)
_ORG_WORDS = _wordset(
    """council county lancashire team teams service services department directorate unit hub
    office board committee panel group forum network governance information data protection
    officer officers guardian caldicott siro dpo manager managers director directors head chief
    executive assistant deputy senior lead principal coordinator co-ordinator adviser advisor
    analyst worker workers social care children children's adult adults family families health
    safeguarding education school schools academy nhs ico gdpr uk eu act policy policies
    procedure guidance legal hr ict digital security cyber records record management freedom
    foi subject access request sar dpia dpias assessment impact privacy notice cabinet member
    members mayor leader registrar registration coroner monitoring audit internal finance payroll
    procurement highways waste library libraries museum museums archives trading standards
    public ai artificial intelligence generative ethics strategy programme project change design
    default sharing agreement processing processor controller retention breach consent
    transformation customer contact centre center portal intranet helpdesk desk support training
    learning risk owner risks university college trust police fire rescue court courts
    government department dfe dwp hmrc ofsted cqc home secretary enterprise pro premium free
    version licence license user users street road lane avenue drive close way place square park
    gardens terrace crescent grove hill row walk estate"""
)
_PLACES = _wordset(
    """lancaster preston burnley blackburn blackpool chorley fylde wyre pendle rossendale
    hyndburn ribble valley skelmersdale skem ormskirk morecambe whitecross accrington clitheroe
    leyland fleetwood garstang carnforth colne darwen lytham st annes poulton kirkham longridge
    haslingden rawtenstall bacup padiham barnoldswick earby adlington euxton penwortham heysham
    cleveleys thornton ramsbottom bamber bridge hall county manchester liverpool london england
    britain wales scotland bolton wigan kendal cumbria yorkshire north south east west west
    lancs cuerden fishergate nelson"""
)
# What a staff member asks an AI tool to do. spaCy's small model takes a capitalised one at the
# start of a question for a name ("Summarise this report" -> "[name] this report"), or joins it
# to the name after it ("Summarise John Smith's notes" -> "[name]'s notes").
_TASK_VERBS = _wordset(
    """summarise summarize summarising summarizing summary transcribe draft redraft rewrite
    translate redact anonymise anonymize pseudonymise pseudonymize proofread explain outline
    describe list compare review analyse analyze extract generate create write convert
    classify categorise categorize paraphrase shorten simplify format tidy correct edit prepare
    produce minute upload paste forward attach store save delete search find show give make
    plan schedule scan sort filter merge split highlight flag score rank assess evaluate predict
    recommend suggest identify match link fill complete submit approve sign remind notify publish
    print copy move archive export import download sync record share"""
)
_CALENDAR = _wordset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday christmas easter bank holiday"""
)
_NOT_NAMES = _FUNCTION_WORDS | _PRODUCTS | _TASK_VERBS | _ORG_WORDS | _PLACES | _CALENDAR | frozenset(_TITLES)
# Words after a title or a context cue that end a name ("Mrs Patel Teams" -> "Mrs Patel").
_NAME_STOPPERS = _FUNCTION_WORDS | _PRODUCTS | _ORG_WORDS | _CALENDAR
# Words the NER joins to a name that are not part of it. Before a name: function words, task
# verbs and products ("Summarise John Smith", "Gen AI John Smith" -> "John Smith"). After a name
# only words that are never surnames, so "Sarah Slack", "Tom Edge" or "Amy Link" stay whole.
_LEADING_NON_NAMES = _FUNCTION_WORDS | _TASK_VERBS | _PRODUCTS
_TRAILING_NON_NAMES = _FUNCTION_WORDS | _wordset(
    "ai gen genai gen-ai gpt chatgpt openai copilot gemini gmail hotmail sharepoint onedrive outlook teams"
)
# Product names that are also people's names: a product only when the words around say so.
_DUAL_USE = frozenset({"claude", "alexa", "siri", "jasper", "sage", "ada"})
_PRODUCT_CUES_BEFORE = _wordset(
    """use using used uses into via paste pasting pasted upload uploading uploaded trial trialling
    install installing licence license access like prompt prompting tool tools"""
)
_PRODUCT_CUES_AFTER = _wordset(
    """ai chatbot tool app pro enterprise code desktop sonnet opus haiku model models licence
    licences license account accounts"""
)

# Common given names in Lancashire (English, Welsh, Scottish, Irish, South Asian, Polish,
# African and others). A capitalised one followed by a capitalised word is taken for a full
# name even where the NER misses it ("Gareth Hughes"); a lowercase one is checked by the NER
# with its capitals restored ("emily watson's" -> "Emily Watson's").
_FIRST_NAMES = _wordset(
    """aaliyah aaron abdul abdullah abigail adam adrian agnieszka ahmed aidan aiden aisha alan
    alex alexander alexandra ali alice alison amanda amelia amina amir amy andrea andrew andy
    angela anita ann anna anne annie anthony anwar arthur asha ashley asif aston ava ayesha
    barbara barry becky ben benjamin beth bethany beverley bilal brendan brian bridget callum
    cameron carl carly carol caroline catherine charlie charlotte chloe chris christine
    christopher ciara claire colin connor craig daisy dale damian daniel danielle darren dave
    david dawid debbie deborah declan denise dennis derek diane donna dorothy dylan eden edward
    eileen eleanor elaine elena eliza elizabeth ella ellie elliot emily emma eric erin ethan
    evan evelyn faisal farah fatima fiona freddie freya gareth gary gavin gemma geoffrey george
    georgia gillian glenn graham greg gregory hamza hannah harriet harry harvey hassan hayley
    heather helen henry ian imran irene isaac isabel isabella isabelle isla ivan jack jackie
    jacob jake james jamie jan jane janet janice jasmine jason jayden jean jennifer jenny jessica
    jill joan joanna joanne jodie joe joel john jon jonathan joseph josh joshua joyce judith
    julia julie justin kamil kaira karen kasia katarzyna kate katie kathleen kathryn katrina
    kayleigh keith kelly kenneth kerry kevin khadija kieran kirsty krzysztof kyle laura lauren
    leah lee leo leon lewis liam lindsay linda lisa logan lorraine louise lucas lucy luke lynn
    lynne maciej mahmood maisie malcolm mandy margaret maria marie marek martin mary maryam
    matthew megan melissa michael michelle mike mohammad mohammed muhammad nadia naomi natalie
    nathan neil niamh nicola nicholas nick nigel noah nia nadeem olga oliver olivia oscar owen
    pamela patricia patrick paul paula pauline peter philip phoebe piotr priya rachel rahul
    rajesh raza rebecca richard rob robert robyn roger rosie ross ruth ryan sadia saima sajid
    sally samantha samuel sana sandra sara sarah scott sean shabana shahid shane sharon shaun
    sheila shirley simon sophie stacey stephanie stephen steve steven stuart susan suzanne tariq
    teresa thomas tim timothy tina tom tomasz tony tracey tracy tyler usman valerie vanessa
    vicky wayne wendy william yasmin yusuf zainab zara zoe zofia aleksandra siobhan sean seamus
    aoife caoimhe saoirse oisin padraig eoin niall grainne bronwen rhys dafydd gwen eira cerys
    sian iwan kwame kofi ama ngozi chidi chinedu oluwaseun adebayo tunde yetunde emeka amara
    tadeusz lukasz łukasz malgorzata małgorzata agata bartosz grzegorz wojciech zbigniew jozef
    jose josé francois françois chloe chloé renee renée bjorn björn dagrun dagrún ingrid sven
    lars astrid mei ling wei jun hui xin yan priyanka sunita anil ravi deepak sanjay arjun kiran
    zoë mohamed ahmad omar yusra hafsa rukhsana nasreen parveen shazia tahir waqar zubair"""
)
# Given names that are also ordinary words or products: a name only with a capitalised surname.
_AMBIGUOUS_NAMES = _wordset(
    """will may mark grace hope faith rose ruby jade amber holly summer dawn joy bill pat sue
    frank victoria chase hunter sky april june august florence jordan chelsea sydney paris india
    georgia lincoln austin penny sunny ray rich jack eden carol heather daisy dale aston rob nick
    jan lee jean sally harry ross mike"""
)

_WORD = re.compile(r"[^\s]+")
_TITLE_AT_END = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Cllr|Councillor|Sir|Dame)\.?\s+$")
_EDGE = ' \t\r\n,.;:!?"()[]{}<>*_“”‘'


def _norm(word: str) -> str:
    w = word.replace("’", "'").strip(_EDGE + "'").lower()
    w = w[:-2] if w.endswith("'s") else w
    if w.isascii():
        return w
    # Accents off, so "Siobhán" is looked up as "siobhan" (letters without a decomposition, like ł, stay).
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def _words(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(start + m.start(), start + m.end(), _norm(m.group())) for m in _WORD.finditer(text[start:end])]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE + "'’":
        start += 1
    while end > start and text[end - 1] in _EDGE + "'’":
        end -= 1
    if text[start:end].lower().endswith(("'s", "’s")):  # keep the possessive: "[name]'s"
        end -= 2
    return start, end


def _is_product_here(text: str, start: int, end: int) -> bool:
    before = [w for _, _, w in _words(text, max(0, start - 40), start)][-3:]
    after = [w for _, _, w in _words(text, end, min(len(text), end + 20))][:1]
    nearby_product = any(w in _PRODUCTS for _, _, w in _words(text, max(0, start - 60), min(len(text), end + 60)))
    return bool(_PRODUCT_CUES_BEFORE.intersection(before) or _PRODUCT_CUES_AFTER.intersection(after) or nearby_product)


def _title_before(text: str, start: int) -> int:
    m = _TITLE_AT_END.search(text, max(0, start - 12), start)
    return start - len(m.group(0)) if m else start


def _ner_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Clean one NER PERSON span; None when it is not a person's name."""
    start, end = _trim(text, start, end)
    words = _words(text, start, end)
    while words and (words[0][2] in _LEADING_NON_NAMES or not words[0][2]):  # "Can Sarah", "Summarise Jo"
        words.pop(0)
    while words and (words[-1][2] in _TRAILING_NON_NAMES or not words[-1][2]):  # "Jo Bloggs here"
        words.pop()
    if not words:
        return None
    start, end = _trim(text, words[0][0], words[-1][1])
    span = text[start:end]
    if not span or re.search(r"[\d@\[\]/\\]", span) or not re.search(r"[A-Za-z]", span):
        return None
    if all(w in _NOT_NAMES for _, _, w in words):
        return None
    if len(words) == 1 and span.isupper() and len(span) <= 6:  # an acronym: DPIA, SIRO
        return None
    if len(words) == 1 and words[0][2] in _DUAL_USE and _is_product_here(text, start, end):
        return None
    return _title_before(text, start), end


def _rule_name(text: str, start: int, end: int, titled: bool) -> tuple[int, int] | None:
    """Clean a name found by a title or context rule."""
    words = _words(text, start, end)
    first = 1 if titled else 0
    while len(words) > first + 1 and words[-1][2] in _NAME_STOPPERS:
        words.pop()
    name = words[first:]
    # After a title or "my colleague", a capitalised place, given name or verb that is also a
    # word ("Mr Preston", "my colleague Will", "Mrs Link") is still a name; a product or team is not.
    if not name or all(w in _NOT_NAMES - _PLACES - _AMBIGUOUS_NAMES - _TASK_VERBS for _, _, w in name):
        return None
    return _trim(text, words[0][0], words[-1][1])


_CAPITALISED = re.compile(rf"\b{_NAME_WORD}\b")
_NEXT_CAPITALISED = re.compile(rf"\s+((?:{_PARTICLE}\s+)?{_NAME_WORD})\b")
_LOWER = re.compile(r"\b[a-z]+\b")
_NEXT_LOWER = re.compile(r"\s+([a-z]+)(?:['’]s)?\b")


# Capitalised phrases that start with a given name or look like "Firstname Surname" and are
# not people: dog breeds, schemes, awards. The tagger and the given-name list take them for
# names, and the "personal data" notice then fires on an ordinary question.
_NON_NAME_PHRASES = re.compile(
    r"\b(?:Jack\s+Russell|King\s+Charles(?:\s+Cavalier)?|Cavalier\s+King\s+Charles|Shih\s+Tzu|Lhasa\s+Apso"
    r"|Bichon\s+Fris[eé]|Dandie\s+Dinmont|Jack\s+Russell\s+Terrier|Victoria\s+Cross|George\s+Cross"
    r"|St\.?\s+John\s+Ambulance|Father\s+Christmas|Santa\s+Claus|Penny\s+Lane|Grace\s+Darling"
    r"|Hunter\s+Wellies|Jordan\s+Almonds|Duke\s+of\s+Edinburgh)\b",
    re.I,
)
# Words that end or fill a capitalised phrase that is a thing, never part of a person's name
# ("Grace Period", "Will Writing", "Cocker Spaniel", "Amber Alert"). Common surnames are left
# out on purpose ("Shepherd", "Cross", "Bell").
_THING_WORDS = _wordset(
    """period periods writing writings reading readings scheme schemes payment payments garden
    alert alerts wedding weddings patrol patrols talk talks broadband side up groups challenge
    wellies almonds spaniel spaniels terrier terriers retriever retrievers collie collies setter
    setters poodle poodles bulldog bulldogs pointer hound hounds schnauzer pinscher mastiff
    labrador labradors dog dogs puppy puppies cat cats pony horse award awards badge badges
    card cards pass permit fund funding grant grants day days week weeks month months year
    years session sessions day's bank holiday holidays leave allowance allowances form template
    templates toolkit framework standard standards plan plans report reports checklist
    guide handbook charter pledge principle principles appeal appeals tax rate rates benefit
    benefits credit credits pension pensions meeting meetings conference event events month"""
)


def _not_a_person(text: str, start: int, end: int) -> bool:
    """Whether a guessed name is a known non-name phrase or a thing ("Grace Period")."""
    if any(m.start() < end and start < m.end() for m in _NON_NAME_PHRASES.finditer(text)):
        return True
    return any(w in _THING_WORDS for _, _, w in _words(text, start, end))


def _given_names(text: str) -> list[tuple[int, int]]:
    """Names that start with a common given name, where the NER may have missed them."""
    found: list[tuple[int, int]] = []
    for m in _CAPITALISED.finditer(text):
        first = _norm(m.group())
        if first not in _AMBIGUOUS_NAMES and (first in _NOT_NAMES or first not in _FIRST_NAMES):
            continue
        nxt = _NEXT_CAPITALISED.match(text, m.end())
        surname = nxt is not None and _norm(nxt.group(1)) not in _NOT_NAMES
        if first in _AMBIGUOUS_NAMES and not surname:
            continue
        found.append(_trim(text, m.start(), nxt.end(1) if nxt is not None and surname else m.end()))
    lowered = [m for m in _LOWER.finditer(text) if m.group() in _FIRST_NAMES and m.group() not in _AMBIGUOUS_NAMES]
    if lowered:
        # Restore the capitals and let the NER decide where the name ends ("emily watson's").
        chars = list(text)
        for m in lowered:
            chars[m.start()] = chars[m.start()].upper()
            nxt = _NEXT_LOWER.match(text, m.end())
            if nxt is not None and nxt.group(1) not in _NOT_NAMES:
                chars[nxt.start(1)] = chars[nxt.start(1)].upper()
        variant = "".join(chars)
        ner = pii_presidio.person_spans(variant) or []
        for m in lowered:
            covering = [(s, e) for s, e in ner if s <= m.start() and m.end() <= e]
            span = _ner_name(variant, *covering[0]) if covering else None
            found.append(span or m.span())
    return found


_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def ner_could_help(text: str) -> bool:
    """Whether the name tagger could add a name to what the rules find: only if some word is
    capitalised (any alphabet), not an acronym, and not a known non-name (function words,
    products, teams, places, months). Lower-case names are found by `_given_names`.

    Skipping the tagger for the rest halves its cost under load; on the test corpora (1,155
    questions and passages) the skipped texts held no name the tagger would have found.
    """
    for m in _LETTERS.finditer(text):
        word = m.group()
        if word[0].isupper() and not word.isupper() and _norm(word) not in _NOT_NAMES:
            return True
    return False


def names_prefetched(texts: list[str]) -> AbstractContextManager[None]:
    """Tag the names of many texts in one pass (see pii_presidio.prefetched), skipping the texts
    where the tagger could add nothing (`ner_could_help`); `redact` on this thread reuses it."""
    return pii_presidio.prefetched([t for t in texts if ner_could_help(t)])


def _name_spans(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for m in _TITLED.finditer(text):
        span = _rule_name(text, *m.span(), titled=True)
        if span:
            found.append(span)
    for m in _CONTEXT.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        span = _rule_name(text, *m.span(group), titled=False)
        if span:
            found.append(span)
    guessed: list[tuple[int, int]] = []
    for s, e in (pii_presidio.person_spans(text) or ()) if ner_could_help(text) else ():
        span = _ner_name(text, s, e)
        if span:
            guessed.append(span)
    guessed.extend(_given_names(text))
    # A title or "my colleague" says a person follows; the tagger and the given-name list only
    # guess, so their guesses give way to things that are not people (see _not_a_person).
    found.extend(span for span in guessed if not _not_a_person(text, *span))
    # Union overlapping spans: "colleague John" (rule) + "John Smith" (NER) -> "John Smith".
    merged: list[list[int]] = []
    for s, e in sorted(found):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged if e > s]


# -- putting it together --------------------------------------------------------------------


def _overlaps(spans: list[tuple[int, int, str]], s: int, e: int) -> bool:
    return any(s < e2 and s2 < e for s2, e2, _ in spans)


# Cheap tests a text must pass before a rule's pattern is tried: each is implied by every match
# of that pattern (it never skips a text the pattern would match), so what is redacted is the
# same. Most questions have no digit, no "@" and no birth cue, and so skip most patterns.
_ANY_DIGIT = re.compile(r"\d")  # every number rule's pattern needs a \d (the same class)
_BIRTH_WORD = re.compile(r"born|birth|d\.?\s?o\.?\s?b", re.I)  # in every _BIRTH_CUE
_SPELT_EMAIL_TAIL = re.compile(  # the end of every _SPELT_EMAIL match
    rf"{_SPELT_DOT}(?:com|org|net|co|uk|gov|nhs|ac|sch|edu|info|io|me|biz|eu|ie|pl|de|fr)\b", re.I
)
_MAY_MATCH: dict[re.Pattern[str], Callable[[str, bool], bool]] = {
    _EMAIL: lambda text, digits: "@" in text,
    _SPELT_EMAIL: lambda text, digits: _SPELT_EMAIL_TAIL.search(text) is not None,
    _DOB: lambda text, digits: digits and _BIRTH_WORD.search(text) is not None,
    _SORT_CODE: lambda text, digits: digits,
    _NINO: lambda text, digits: digits,
    _ACCOUNT: lambda text, digits: digits,
    _PHONE: lambda text, digits: digits,
    _NHS: lambda text, digits: digits,
    _POSTCODE: lambda text, digits: digits,
    _ADDRESS: lambda text, digits: digits,
}


def find(text: str) -> list[tuple[int, int, str]]:
    """Spans of personal data in text, as (start, end, kind), in text order, not overlapping."""
    spans: list[tuple[int, int, str]] = []
    digits = _ANY_DIGIT.search(text) is not None
    for kind, pattern, span_of in _RULES:
        may_match = _MAY_MATCH.get(pattern)
        if may_match is not None and not may_match(text, digits):
            continue
        for m in pattern.finditer(text):
            span = span_of(m)
            if span and span[1] > span[0] and not _overlaps(spans, *span):
                spans.append((span[0], span[1], kind))
    for s, e in _name_spans(text):
        if not _overlaps(spans, s, e):
            spans.append((s, e, NAME))
    return sorted(spans)


def redact(text: str) -> Redaction:
    """Replace each item of personal data with a placeholder such as [NHS number].

    The text is normalised first (`bot.core.text.normalise`, line breaks kept), whoever calls:
    a zero-width space or full-width digits would otherwise hide a number from every rule.
    """
    text = normalise(text, single_line=False)
    spans = find(text)
    if not spans:
        return Redaction(text=text, kinds=())
    out: list[str] = []
    kinds: list[str] = []
    pos = 0
    for s, e, kind in spans:
        out.append(text[pos:s])
        out.append(f"[{kind}]")
        pos = e
        if kind not in kinds:
            kinds.append(kind)
    out.append(text[pos:])
    return Redaction(text="".join(out), kinds=tuple(kinds))
