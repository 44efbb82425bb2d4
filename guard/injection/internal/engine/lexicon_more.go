package engine

// lexiconMore extends the multilingual lexicon to languages the first two
// tables did not cover (Swedish, Norwegian, Danish, Finnish, Czech, Slovak,
// Romanian, Hungarian, Greek, Hebrew, Ukrainian, Vietnamese, Indonesian and
// Malay), and adds verb-final German and "the earlier text is irrelevant"
// phrasings. Same syntax and same rules as lexicon.go: exact lower-cased
// word forms (no stemming), so the common inflections are listed. Written
// from knowledge of each language, not copied from any evaluation source.
var lexiconMore = []lexEntry{
	// ---- English, German, French, Spanish: "what came before no longer counts" ----
	{sigOverride, "above|previous|prior|preceding|earlier|original ~2 instructions|instruction|text|information|context|rules|prompt|directions ~2 is|are|was|were ~1 irrelevant|obsolete|void|invalid|cancelled|canceled|outdated|revoked|superseded"},
	{sigOverride, "obigen|vorherigen|bisherigen|vorigen|früheren|vorangegangenen ~2 anweisungen|instruktionen|befehle|regeln|vorgaben|informationen|angaben|ausführungen|texte|inhalte|dokumente|nachrichten ~3 ignorieren|vergessen|missachten|verwerfen|überspringen"},
	{sigOverride, "informationen|anweisungen|angaben|instruktionen|vorgaben|befehle ~5 sind|ist|waren ~1 irrelevant|unwichtig|egal|ungültig|hinfällig|nichtig|veraltet|aufgehoben"},
	{sigOverride, "abweichend|entgegen ~2 vorherigen|bisherigen|obigen|früheren ~1 instruktionen|anweisungen|vorgaben|regeln"},
	// Answering past the retrieved context (RAG): a goal hijack, not an
	// override by itself ("answer from your own knowledge" is also benign).
	// "not … by/from the documents", "do not look in the documents": "in"
	// and "on" after a wider gap matched instructions that say what to do
	// with the documents ("if it is not explicitly stated in the document,
	// note it"), 92 benign user rows.
	{sigHijack, "not ~1 by|from ~2 the ~1 articles|article|documents|document|context|sources|texts"},
	{sigHijack, "not ~1 look|search|rely|use ~1 in|at|on ~2 the ~1 articles|article|documents|document|context|sources|texts"},
	{sigHijack, "disregarding|ignoring|regardless ~1 of ~2 the ~1 articles|article|documents|document|context|sources"},
	{sigHijack, "disregarding|ignoring ~1 the ~1 articles|article|documents|document|context|sources"},
	{sigOverride, "instructions|consignes|règles ~2 précédentes|antérieures ~2 sont ~1 annulées|caduques|obsolètes|nulles|invalides"},
	{sigOverride, "instrucciones|reglas|indicaciones ~2 anteriores|previas ~2 son|quedan ~1 irrelevantes|inválidas|invalidas|nulas|anuladas"},

	// ---- Swedish ----
	{sigOverride, "ignorera|glöm|strunta|bortse|åsidosätt ~4 instruktioner|instruktionerna|anvisningar|anvisningarna|regler|reglerna|allt"},
	{sigOverride, "följ ~3 inte ~3 instruktionerna|anvisningarna|reglerna|tidigare"},
	{sigHijack, "din ~1 nya ~1 uppgift"},
	{sigHijack, "i ~1 stället|istället ~1 för"},
	{sigFrame, "du ~1 är ~1 nu"},
	{sigFrame, "från ~1 och ~1 med ~1 nu"},
	{sigFrame, "låtsas ~1 att|vara|du"},
	{sigFrame, "agera|bete ~2 som"},
	{sigFrame, "spela ~2 rollen|roll"},
	{sigPersonaBreak, "utan ~1 begränsningar|restriktioner|censur|filter|regler|etik|moral"},
	{sigLeak, "visa|avslöja|upprepa|berätta|skriv|ge ~4 systemprompt|systemprompten|instruktionerna|instruktioner|lösenord|lösenordet|prompten|hemligheten"},

	// ---- Norwegian and Danish ----
	{sigOverride, "ignorer|glem|overse|tilsidesett ~4 instruksjoner|instruksjonene|instruktioner|instruktionerne|regler|reglene|reglerne|alt"},
	{sigOverride, "se ~1 bort ~1 fra ~4 instruksjoner|instruksjonene|instruktioner|instruktionerne|regler|reglene|reglerne|alt"},
	{sigOverride, "ikke ~1 følg|følge ~3 instruksjonene|instruktionerne|reglene|reglerne"},
	{sigHijack, "din ~1 nye ~1 oppgave|opgave"},
	{sigHijack, "i ~1 stedet ~1 for"},
	{sigFrame, "du ~1 er ~1 nå|nu"},
	{sigFrame, "fra ~1 nå|nu ~1 av|af"},
	{sigFrame, "lat|lad ~1 som"},
	{sigFrame, "oppfør|opfør ~1 deg|dig ~1 som"},
	{sigFrame, "spill|spil ~2 rollen"},
	{sigPersonaBreak, "uten|uden ~1 begrensninger|begrænsninger|restriksjoner|restriktioner|sensur|censur|filter|regler|etikk|etik"},
	{sigLeak, "vis|avslør|afslør|gjenta|gentag|fortell|fortæl ~4 systemprompt|systemprompten|instruksjonene|instruktionerne|instruksjoner|instruktioner|passord|passordet|adgangskode|adgangskoden|kodeord|kodeordet"},

	// ---- Finnish ----
	{sigOverride, "unohda|unohtakaa|sivuuta|sivuuttakaa ~4 ohjeet|ohjeita|ohjeesi|säännöt|sääntöjä|kaikki|kaiken"},
	{sigOverride, "älä ~1 noudata|seuraa|tottele ~3 ohjeita|sääntöjä|aiempia|edellisiä|ohjeitasi"},
	{sigHijack, "uusi ~1 tehtäväsi"},
	{sigHijack, "sen ~1 sijaan"},
	{sigFrame, "olet ~1 nyt"},
	{sigFrame, "nyt ~1 olet"},
	{sigFrame, "tästä ~1 lähtien|eteenpäin"},
	{sigFrame, "teeskentele|kuvittele"},
	{sigFrame, "toimi|käyttäydy ~1 kuin"},
	{sigFrame, "esitä ~2 roolia"},
	{sigPersonaBreak, "ilman ~1 rajoituksia|sensuuria|suodattimia|sääntöjä|etiikkaa|moraalia"},
	{sigLeak, "näytä|paljasta|toista|kerro|tulosta ~4 järjestelmäkehote|järjestelmäkehotteesi|kehote|kehotteesi|ohjeesi|ohjeet|salasana|salasanan|salaisuus"},

	// ---- Czech and Slovak ----
	{sigOverride, "ignoruj|ignorujte|zapomeň|zapomeňte|zabudni|zabudnite|nevšímej ~4 instrukce|inštrukcie|pokyny|pravidla|pravidlá|všechno|všetko|vše"},
	{sigOverride, "nedodržuj|neposlouchej|neřiď|nedodržiavaj|nepočúvaj ~3 pokyny|pokynů|instrukce|inštrukcie|pravidla|pravidlá|předchozí|predchádzajúce"},
	{sigHijack, "tvůj|tvoj|tvoja|tvoje ~1 nový|nová|nové ~1 úkol|úloha|úlohou|úkolem"},
	{sigHijack, "místo|namiesto ~1 toho"},
	{sigFrame, "nyní|teď|teraz ~1 jsi|si"},
	{sigFrame, "od ~1 teď|teraz|nynějška"},
	{sigFrame, "předstírej|predstieraj|představ|predstav"},
	{sigFrame, "chovej|správaj ~1 se|sa ~1 jako|ako"},
	{sigFrame, "hraj ~2 roli|rolu"},
	{sigPersonaBreak, "bez ~1 omezení|obmedzení|cenzury|cenzúry|filtrů|filtrov|pravidel|pravidiel"},
	{sigLeak, "ukaž|ukáž|odhal|zopakuj|řekni|povedz|vypiš|vypíš ~4 systémový|systémové|prompt|instrukce|inštrukcie|pokyny|heslo"},

	// ---- Romanian ----
	{sigOverride, "ignoră|ignora|ignorați|ignorati|uită|uita|uitați|uitati ~4 instrucțiunile|instructiunile|instrucţiunile|instrucțiuni|regulile|tot"},
	{sigFrame, "acum ~1 ești|esti|eşti"},
	{sigFrame, "de ~1 acum ~1 înainte|inainte"},
	{sigFrame, "prefă-te|prefa-te|imaginează-ți|imagineaza-ti"},
	{sigPersonaBreak, "fără|fara ~1 restricții|restrictii|cenzură|cenzura|limite|reguli|filtre"},
	{sigLeak, "arată|arata|dezvăluie|dezvaluie|repetă|repeta|spune ~4 promptul|instrucțiunile|instructiunile|parola|sistemului"},

	// ---- Hungarian ----
	{sigOverride, "hagyd|hagyja ~1 figyelmen ~1 kívül"},
	{sigOverride, "felejtsd|felejtse ~1 el ~3 utasításokat|utasítást|szabályokat|mindent"},
	{sigOverride, "korábbi|előző|fenti|összes ~2 utasításokat|utasítást|szabályokat ~3 figyelmen|felejtsd|hagyd"},
	{sigHijack, "az ~1 új ~1 feladatod"},
	{sigFrame, "most ~1 te ~1 vagy"},
	{sigFrame, "mostantól ~1 te|egy"},
	{sigFrame, "tégy|tegyél ~1 úgy"},
	{sigPersonaBreak, "korlátozások|cenzúra|szabályok ~1 nélkül"},
	{sigLeak, "rendszer ~1 prompt|promptot|promptodat|üzenetet|utasítást"},
	{sigLeak, "mutasd|árulja|áruld ~1 meg|el ~3 jelszót|jelszavat|utasításaidat|promptot"},

	// ---- Greek (native lower case; word-final sigma both ways) ----
	{sigOverride, "αγνόησε|αγνοήστε|ξέχασε|ξεχάστε|παράβλεψε|παραβλέψτε ~4 οδηγίες|οδηγιών|εντολές|εντολών|κανόνες|κανόνων|όλα"},
	{sigOverride, "μην ~1 ακολουθείς|ακολουθήσεις|υπακούς ~3 οδηγίες|εντολές|κανόνες"},
	{sigHijack, "νέα ~1 σου ~1 αποστολή|εργασία"},
	{sigHijack, "αντί ~1 για"},
	{sigFrame, "τώρα ~1 είσαι"},
	{sigFrame, "από ~1 τώρα ~1 και"},
	{sigFrame, "προσποιήσου|φαντάσου"},
	{sigFrame, "παίξε|υποδύσου ~2 ρόλο"},
	{sigFrame, "συμπεριφέρσου ~1 σαν|ως"},
	{sigPersonaBreak, "χωρίς ~1 περιορισμούς|λογοκρισία|φίλτρα|κανόνες|όρια|ηθική"},
	{sigLeak, "δείξε|αποκάλυψε|επανάλαβε|πες|γράψε ~4 οδηγίες|οδηγιές|κωδικό|μυστικό|prompt|προτροπή"},
	{sigLeak, "μήνυμα|προτροπή|οδηγίες|οδηγιες ~1 συστήματος|συστηματος"},

	// ---- Hebrew (prefixed forms listed: ה, ו, מ, ל) ----
	{sigOverride, "התעלם|התעלמי|התעלמו|שכח|שכחי|שכחו|תתעלם ~4 מההוראות|ההוראות|הוראות|מההנחיות|ההנחיות|מהכללים|הכללים|הכל|מהכל"},
	{sigOverride, "אל ~1 תציית|תקשיב|תפעל ~3 להוראות|להנחיות|לכללים"},
	{sigHijack, "המשימה ~1 החדשה ~1 שלך"},
	{sigHijack, "במקום ~1 זאת|זה"},
	{sigFrame, "אתה|את ~1 עכשיו|כעת"},
	{sigFrame, "מעכשיו|מעתה ~1 אתה|את"},
	{sigFrame, "העמד|העמידי|תעמיד ~1 פנים"},
	{sigFrame, "שחק|שחקי|גלם|גלמי ~2 תפקיד|את"},
	{sigFrame, "דמיין|דמייני"},
	{sigPersonaBreak, "ללא|בלי ~1 הגבלות|מגבלות|צנזורה|סינון|כללים|מוסר"},
	{sigLeak, "הראה|הראי|חשוף|חשפי|גלה|גלי|חזור|הצג|תגיד|כתוב ~4 ההנחיות|ההוראות|הסיסמה|סיסמה|הפרומפט|הסוד"},
	{sigLeak, "הנחיית|הנחיות|הוראות ~1 המערכת"},

	// ---- Ukrainian ----
	{sigOverride, "ігноруй|ігноруйте|проігноруй|проігноруйте|забудь|забудьте|відкинь|скасуй ~4 інструкції|інструкцій|вказівки|вказівок|правила|правил|усе|команди"},
	{sigOverride, "не ~1 дотримуйся|виконуй|слухай|зважай ~3 інструкцій|інструкції|вказівок|вказівки|правил|попередніх|попередні"},
	{sigHijack, "твоє ~1 нове ~1 завдання"},
	{sigHijack, "замість ~1 цього"},
	{sigFrame, "тепер ~1 ти"},
	{sigFrame, "з ~1 цього ~1 моменту"},
	{sigFrame, "уяви|прикинься|вдавай|уявіть"},
	{sigFrame, "поводься|поводьтеся|дій ~1 як"},
	{sigFrame, "зіграй|грай ~2 роль"},
	{sigPersonaBreak, "без ~1 обмежень|цензури|фільтрів|правил|моралі|етики"},
	{sigLeak, "покажи|виведи|розкрий|повтори|скажи|напиши ~4 промпт|інструкції|пароль|системний|системну|секрет"},
	{sigLeak, "системний ~1 промпт|запит"},

	// ---- Vietnamese (syllables are separate tokens) ----
	{sigOverride, "bỏ|phớt ~1 qua|lờ ~5 hướng|chỉ|quy|mệnh|lệnh ~1 dẫn|thị|tắc|lệnh|trước"},
	{sigOverride, "quên ~1 đi ~5 hướng|chỉ|quy ~1 dẫn|thị|tắc"},
	{sigOverride, "đừng|không ~1 làm|tuân ~1 theo ~4 hướng|chỉ|quy ~1 dẫn|thị|tắc"},
	{sigHijack, "nhiệm ~1 vụ ~1 mới ~1 của"},
	{sigHijack, "thay ~1 vào ~1 đó"},
	{sigFrame, "bây ~1 giờ ~1 bạn ~1 là"},
	{sigFrame, "từ ~1 bây ~1 giờ"},
	{sigFrame, "giả ~1 vờ|định ~2 bạn|là"},
	{sigFrame, "đóng ~1 vai"},
	{sigFrame, "hành ~1 động ~1 như"},
	{sigPersonaBreak, "không ~1 có ~2 giới ~1 hạn"},
	{sigPersonaBreak, "không ~1 bị ~1 giới|kiểm ~1 hạn|duyệt"},
	{sigLeak, "lời ~1 nhắc ~1 hệ ~1 thống"},
	{sigLeak, "mật ~1 khẩu"},
	{sigLeak, "tiết ~1 lộ ~4 hướng|chỉ|mật|lời"},

	// ---- Indonesian and Malay ----
	{sigOverride, "abaikan|lupakan|acuhkan|hiraukan ~4 instruksi|perintah|petunjuk|arahan|aturan|peraturan"},
	{sigOverride, "jangan ~1 ikuti|patuhi|turuti ~3 instruksi|perintah|petunjuk|arahan|aturan|sebelumnya"},
	{sigHijack, "tugas ~1 baru|barumu"},
	{sigHijack, "sebagai ~1 gantinya"},
	{sigFrame, "sekarang ~1 kamu|anda|engkau|awak ~1 adalah|ialah"},
	{sigFrame, "mulai ~2 sekarang"},
	{sigFrame, "berpura-pura|bayangkan|andaikan ~2 kamu|anda|menjadi|bahwa|bahawa"},
	{sigFrame, "bertindak|berperan|berlakon ~1 sebagai"},
	{sigPersonaBreak, "tanpa ~1 batasan|sensor|filter|aturan|batas|etika|moral"},
	{sigLeak, "tunjukkan|ungkapkan|ulangi|berikan|katakan|beritahu|tampilkan ~4 prompt|instruksi|sandi|rahasia|sistem"},
	{sigLeak, "kata ~1 sandi|laluan"},
}
