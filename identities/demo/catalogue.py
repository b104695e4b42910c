"""The fixed material of the demo library: films, their casts, the people and their aliases.

Titles, casts and characters are those of the real films. The TMDb ids are illustrative (plausible
person ids, not checked against TMDb), so enable the TMDb probe only on real data.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    tmdb_id: int
    aliases: tuple = ()  # (locale, name) pairs besides English


@dataclass(frozen=True)
class Film:
    title: str
    year: int
    runtime_minutes: int
    fps: float
    width: int
    height: int
    cast: tuple  # (person key, character) in cast order
    settings: tuple  # places where scenes happen, for the story summaries


PEOPLE = {
    person.key: person
    for person in [
        Person("bogart", "Humphrey Bogart", 4110, (("zh-TW", "亨弗萊·鮑嘉"), ("zh-CN", "亨弗莱·鲍嘉"), ("ja", "ハンフリー・ボガート"), ("ko", "험프리 보가트"))),
        Person("bergman", "Ingrid Bergman", 4111, (("zh-TW", "英格麗·褒曼"), ("ja", "イングリッド・バーグマン"), ("ko", "잉그리드 버그먼"), ("sv", "Ingrid Bergman"))),
        Person("henreid", "Paul Henreid", 4112, (("ja", "ポール・ヘンリード"),)),
        Person("rains", "Claude Rains", 4113, (("ja", "クロード・レインズ"), ("zh-TW", "克勞德·雷恩斯"))),
        Person("lorre", "Peter Lorre", 2094, (("ja", "ピーター・ローレ"), ("ko", "피터 로리"))),
        Person("greenstreet", "Sydney Greenstreet", 4114, (("ja", "シドニー・グリーンストリート"),)),
        Person("wilson", "Dooley Wilson", 4117, (("ja", "ドーリー・ウィルソン"),)),
        Person("peck", "Gregory Peck", 8487, (("zh-TW", "葛雷哥萊·畢克"), ("ja", "グレゴリー・ペック"), ("ko", "그레고리 펙"))),
        Person("hepburn_a", "Audrey Hepburn", 1932, (("zh-TW", "奧黛麗·赫本"), ("zh-CN", "奥黛丽·赫本"), ("ja", "オードリー・ヘプバーン"), ("ko", "오드리 헵번"), ("fr", "Audrey Hepburn"))),
        Person("albert", "Eddie Albert", 6839, (("ja", "エディ・アルバート"),)),
        Person("grant", "Cary Grant", 2638, (("zh-TW", "卡萊·葛倫"), ("zh-CN", "加里·格兰特"), ("ja", "ケーリー・グラント"), ("ko", "캐리 그랜트"))),
        Person("matthau", "Walter Matthau", 6837, (("ja", "ウォルター・マッソー"), ("ko", "월터 매소"))),
        Person("coburn", "James Coburn", 5563, (("ja", "ジェームズ・コバーン"),)),
        Person("kennedy", "George Kennedy", 12950, (("ja", "ジョージ・ケネディ"),)),
        Person("saint", "Eva Marie Saint", 7632, (("ja", "エヴァ・マリー・セイント"), ("zh-TW", "伊娃·瑪麗·仙"))),
        Person("mason", "James Mason", 2091, (("ja", "ジェームズ・メイソン"), ("zh-TW", "詹姆斯·梅遜"))),
        Person("landau", "Martin Landau", 2641, (("ja", "マーティン・ランドー"),)),
        Person("stewart", "James Stewart", 854, (("zh-TW", "詹姆斯·史都華"), ("ja", "ジェームズ・スチュアート"), ("ko", "제임스 스튜어트"), ("es", "James Stewart"))),
        Person("kelly", "Grace Kelly", 4070, (("zh-TW", "葛麗絲·凱莉"), ("ja", "グレース・ケリー"), ("ko", "그레이스 켈리"), ("fr", "Grace de Monaco"), ("es", "Gracia de Mónaco"))),
        Person("corey", "Wendell Corey", 4071, (("ja", "ウェンデル・コーリイ"),)),
        Person("ritter", "Thelma Ritter", 4072, (("ja", "セルマ・リッター"),)),
        Person("burr", "Raymond Burr", 4073, (("ja", "レイモンド・バー"), ("fr", "Raymond Burr"))),
        Person("novak", "Kim Novak", 7302, (("zh-TW", "金·露華"), ("ja", "キム・ノヴァク"), ("ko", "킴 노박"))),
        Person("bel_geddes", "Barbara Bel Geddes", 7303, (("ja", "バーバラ・ベル・ゲデス"),)),
        Person("helmore", "Tom Helmore", 7304, (("ja", "トム・ヘルモア"),)),
        Person("monroe", "Marilyn Monroe", 3149, (("zh-TW", "瑪麗蓮·夢露"), ("zh-CN", "玛丽莲·梦露"), ("ja", "マリリン・モンロー"), ("ko", "마릴린 먼로"), ("es", "Marilyn Monroe"))),
        Person("curtis", "Tony Curtis", 3150, (("zh-TW", "東尼·寇蒂斯"), ("ja", "トニー・カーティス"), ("ko", "토니 커티스"))),
        Person("lemmon", "Jack Lemmon", 3151, (("zh-TW", "傑克·李蒙"), ("ja", "ジャック・レモン"), ("ko", "잭 레먼"))),
        Person("raft", "George Raft", 3152, (("ja", "ジョージ・ラフト"),)),
        Person("brown", "Joe E. Brown", 3153, (("ja", "ジョー・E・ブラウン"),)),
        Person("holden", "William Holden", 8252, (("zh-TW", "威廉·荷頓"), ("ja", "ウィリアム・ホールデン"), ("ko", "윌리엄 홀든"))),
        Person("hampden", "Walter Hampden", 8253, (("ja", "ウォルター・ハムデン"),)),
        Person("landis", "Jessie Royce Landis", 4074, (("ja", "ジェシー・ロイス・ランディス"),)),
        Person("williams", "John Williams", 4075, (("ja", "ジョン・ウィリアムズ"),)),
        Person("hepburn_k", "Katharine Hepburn", 6598, (("zh-TW", "凱瑟琳·赫本"), ("ja", "キャサリン・ヘプバーン"), ("ko", "캐서린 헵번"))),
        Person("hussey", "Ruth Hussey", 6599, (("ja", "ルース・ハッセイ"),)),
        Person("gable", "Clark Gable", 11492, (("zh-TW", "克拉克·蓋博"), ("ja", "クラーク・ゲーブル"), ("ko", "클라크 게이블"))),
        Person("colbert", "Claudette Colbert", 9087, (("zh-TW", "克勞黛·考爾白"), ("ja", "クローデット・コルベール"), ("fr", "Claudette Colbert"))),
        Person("connolly", "Walter Connolly", 9088, (("ja", "ウォルター・コノリー"),)),
        Person("astor", "Mary Astor", 4076, (("ja", "メアリー・アスター"),)),
    ]
}

# Pairs of the cast whose faces a recogniser finds alike (`embeddings.LOOKALIKE_COSINE`): Warner's two
# gangster leads, two of Hitchcock's blondes, the two musicians of Some Like It Hot, two suave villains.
LOOKALIKES = (("bogart", "raft"), ("saint", "kelly"), ("curtis", "lemmon"), ("rains", "mason"))

FILMS = (
    Film("Casablanca", 1942, 102, 24.0, 1440, 1080,
         (("bogart", "Rick Blaine"), ("bergman", "Ilsa Lund"), ("henreid", "Victor Laszlo"),
          ("rains", "Captain Louis Renault"), ("lorre", "Ugarte"), ("greenstreet", "Signor Ferrari"), ("wilson", "Sam")),
         ("at Rick's Café Américain", "at the airfield in the fog", "in the crowded bazaar", "in the prefect's office")),
    Film("Roman Holiday", 1953, 118, 24.0, 1440, 1080,
         (("peck", "Joe Bradley"), ("hepburn_a", "Princess Ann"), ("albert", "Irving Radovich")),
         ("on the Spanish Steps", "in Joe's small apartment", "at the embassy ball", "on a Vespa through the city")),
    Film("Charade", 1963, 113, 24.0, 1920, 1080,
         (("grant", "Peter Joshua"), ("hepburn_a", "Regina Lampert"), ("matthau", "Hamilton Bartholomew"),
          ("coburn", "Tex Panthollow"), ("kennedy", "Herman Scobie")),
         ("at the ski lodge", "in the empty apartment", "at the stamp market", "in the hotel corridor")),
    Film("North by Northwest", 1959, 136, 24.0, 1920, 1080,
         (("grant", "Roger Thornhill"), ("saint", "Eve Kendall"), ("mason", "Phillip Vandamm"), ("landau", "Leonard")),
         ("on the overnight train", "in the hotel lobby", "at the auction house", "on the monument at night")),
    Film("Rear Window", 1954, 112, 24.0, 1920, 1080,
         (("stewart", "L.B. Jefferies"), ("kelly", "Lisa Carol Fremont"), ("corey", "Det. Thomas J. Doyle"),
          ("ritter", "Stella"), ("burr", "Lars Thorwald")),
         ("by the apartment window", "in the courtyard", "in the dim apartment", "across the courtyard")),
    Film("Vertigo", 1958, 128, 24.0, 1920, 1080,
         (("stewart", "John 'Scottie' Ferguson"), ("novak", "Madeleine Elster"), ("bel_geddes", "Midge Wood"),
          ("helmore", "Gavin Elster")),
         ("at the mission bell tower", "in Midge's studio", "at the museum", "on the bay shore")),
    Film("Some Like It Hot", 1959, 121, 24.0, 1920, 1080,
         (("monroe", "Sugar Kane Kowalczyk"), ("curtis", "Joe"), ("lemmon", "Jerry"), ("raft", "Spats Colombo"),
          ("brown", "Osgood Fielding III")),
         ("on the band's train", "at the seaside hotel", "on the yacht", "in the speakeasy")),
    Film("Sabrina", 1954, 113, 24.0, 1440, 1080,
         (("bogart", "Linus Larrabee"), ("hepburn_a", "Sabrina Fairchild"), ("holden", "David Larrabee"),
          ("hampden", "Oliver Larrabee")),
         ("at the Larrabee estate", "in the indoor tennis court", "in the boardroom", "on the ocean liner")),
    Film("To Catch a Thief", 1955, 106, 24.0, 1920, 1080,
         (("grant", "John Robie"), ("kelly", "Frances Stevens"), ("landis", "Jessie Stevens"), ("williams", "H.H. Hughson")),
         ("on the Riviera beach", "at the hotel casino", "on the mountain road", "at the masquerade ball")),
    Film("The Philadelphia Story", 1940, 112, 24.0, 1440, 1080,
         (("grant", "C.K. Dexter Haven"), ("hepburn_k", "Tracy Lord"), ("stewart", "Macaulay Connor"),
          ("hussey", "Elizabeth Imbrie")),
         ("by the pool", "in the library", "at the wedding eve party", "in the garden at dawn")),
    Film("It Happened One Night", 1934, 105, 24.0, 1440, 1080,
         (("gable", "Peter Warne"), ("colbert", "Ellie Andrews"), ("connolly", "Alexander Andrews")),
         ("on the night bus", "at the auto camp", "by the roadside", "in the newspaper office")),
    Film("The Maltese Falcon", 1941, 100, 24.0, 1440, 1080,
         (("bogart", "Sam Spade"), ("astor", "Brigid O'Shaughnessy"), ("lorre", "Joel Cairo"),
          ("greenstreet", "Kasper Gutman")),
         ("in Spade's office", "in the hotel suite", "in Brigid's apartment", "on the foggy street")),
)

# Generic lines of dialogue; `{name}` is another character of the scene, `{place}` one of the film's settings.
LINES = (
    "Where were you last night?",
    "I don't remember. That's so long ago.",
    "You'd better go now, before they come back.",
    "I came here for the waters.",
    "Nobody ever loved me that much.",
    "Have you seen {name} tonight?",
    "{name} knows more than we think.",
    "Meet me {place} at nine.",
    "I was {place} the whole evening, ask anyone.",
    "Tell {name} I'll be late.",
    "That's the first sensible thing you've said.",
    "Do you always say what you mean?",
    "I never make plans that far ahead.",
    "It's a nice night, isn't it?",
    "We could leave tomorrow, on the first train.",
    "What are you going to do now?",
    "Somebody has to be sensible around here.",
    "You're not the kind who gives up.",
    "I'll take my chances.",
    "Keep your voice down, they're listening.",
    "How much do you want for it?",
    "It's not for sale.",
    "I don't trust {name}, and neither should you.",
    "Play along, just for tonight.",
    "You have a remarkable way of putting things.",
    "Is that a promise or a threat?",
    "I'm only a poor reporter.",
    "Nobody gets out of here without papers.",
    "You're lying, and not very well.",
    "Then we understand each other.",
    "Why did you come back?",
    "Because I had to know.",
    "Forget it, it's finished.",
    "Shall we dance?",
    "I'd rather walk, thank you.",
    "Where did you learn to do that?",
    "It's a long story, and not a very good one.",
    "The police are on their way.",
    "Then we haven't much time.",
    "Look, I'm not asking you to understand.",
    "Well, nobody's perfect.",
    "You didn't answer my question.",
    "Get some sleep, you look terrible.",
    "Good night, and thank you.",
    "Wait, I'll come with you.",
    "Are you always this charming, or only with strangers?",
    "I'll have what {name} is having.",
    "It's the most wonderful place in the world.",
    "Don't look now, but we're being followed.",
    "I have a feeling we've met before.",
    "Everybody comes {place} sooner or later.",
    "That was a foolish thing to do.",
    "Maybe it was, but I'd do it again.",
    "Here's the key; don't lose it.",
    "Let's not talk about that.",
    "Give my regards to {name}.",
    "I thought you'd never ask.",
    "One more question, and then I'll go.",
    "Are you sure this is the right address?",
    "I'll explain everything in the morning.",
)

# What happens in a scene, for the story summaries: with one character, and with several.
SOLO_ACTIONS = (
    "waits alone",
    "reads the letter again",
    "searches the room",
    "paces and thinks",
    "makes a telephone call",
    "hides the envelope",
)
GROUP_ACTIONS = (
    "talk quietly",
    "argue about the money",
    "share a drink",
    "trade suspicious looks",
    "plan their next move",
    "try to dodge the police",
    "make an uneasy truce",
    "are interrupted by a stranger",
    "dance while the band plays",
    "search for the missing letter",
    "quarrel and make up",
    "wait for news that does not come",
)
