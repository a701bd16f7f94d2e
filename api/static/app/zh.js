// Chinese names for the API's values: enums, levels, rule ids, relationship types.
// The API speaks English identifiers; the page shows these. A value without a name here is
// shown as the API gives it (`name(table, value)`), never hidden.

export const ROLE = {
  viewer: '查看者',
  mediator: '调解员',
  researcher: '研究人员',
  admin: '管理员',
};

export const STEP = {
  DISCOVERED: '发现',
  ACCEPTED: '受理',
  ROUTED: '分流',
  HANDLING: '处置',
  TRACKING: '跟踪',
  SUPERVISING: '督办',
  FEEDBACK: '反馈',
  EVALUATED: '评价',
};

export const OUTCOME = {
  SETTLED: '化解',
  UNSETTLED: '未化解',
  WITHDRAWN: '撤回',
  LITIGATED: '转诉讼',
};

export const WARNING = { RED: '红', ORANGE: '橙', YELLOW: '黄' };

export const CHANNEL = {
  GRID_WORKER: '网格员上报',
  APP: '群众 App',
  HOTLINE: '12345 热线',
  VIDEO: '视频接访',
  VISIT: '来访',
  DEPARTMENT: '部门转办',
};

export const SIDE = { APPLICANT: '申请人', RESPONDENT: '被申请人' };

// Levels as the API writes them: enums (TOWN) in lists, lower case in headline answers.
export const LEVEL = {
  grid: '网格',
  liaison: '联络',
  village: '村（社区）',
  town: '镇（街道）',
  county: '县（区）',
  city: '市',
  province: '省',
  court: '法院',
};

export const PART = {
  FIRST_RESPONDER: '首接网格',
  HIGHER_GRID: '上级网格',
  LIAISON_BODY: '联络机构',
  CONSULTATION_TEAM: '会商团队（3+X）',
  URGENT_ARRIVAL: '突发事件到场',
  RESPONSIBLE_DEPARTMENT: '责任部门',
  MEDIATION_BODY: '调解组织',
  PRE_COURT_STEP: '诉前法定程序',
  COURT: '法院',
};

export const BODY_ROLE = {
  GRID_TEAM: '网格团队',
  LIAISON_BODY: '联络机构',
  CENTER: '矛调中心',
  STATIONED_DEPARTMENT: '入驻部门',
  MEDIATION_COMMITTEE: '调解委员会',
  PARTY_ORGANISATION: '党组织',
  PRE_COURT_BODY: '诉前法定机构',
  COURT: '法院',
};

// Rule ids (docs/queries.md "Rule ids").
export const RULE = {
  'grid-first': '网格首接（小事不出格）',
  'part-of-ladder': '逐级向上',
  'escalates-to': '中心上报关系',
  'out-of-county-liaison': '域外网格联络',
  'group-dispute-county-center': '群体性纠纷由县中心会商',
  'department-lowest-level': '事项清单责任部门（就低）',
  'urgent-arrival': '突发事件限时到场',
  'mediation-before-litigation': '调解优先、诉讼断后',
  'court-last': '法院最后',
  'professional-grid-by-field': '专业网格按领域首接',
  'statutory-pre-court-step': '法定诉前程序（如劳动仲裁）',
  'severity-tier': '按事态分级牵头',
  'branch-on-grid': '支部建在网格上',
  'party-line-unit': '所在单位党组织',
  'party-line': '上级党组织',
  'expert-score': '综合评分',
  'conflict-of-interest': '利益冲突回避',
  'not-available': '不在库期内',
  overloaded: '在办案件过多',
};

// Posts of grid staff as contacts name them (the other posts are Chinese already).
export const POST = {
  head: '网格长',
  instructor: '网格指导员',
  full_time: '专职网格员',
  part_time: '兼职网格员',
  inspector: '专业网格监管员',
  coordinator: '协管员',
  assessor: '评议员',
};

export const SCORE_PART = {
  domain: '专业对口',
  locality: '就近',
  load: '负荷',
  rating: '评价',
  availability: '在岗',
};

export const LABEL = {
  Unit: '行政区划',
  Grid: '网格',
  Person: '人员',
  PartyOrg: '党组织',
  Department: '部门',
  Center: '中心',
  MediationOrg: '调解组织',
  Organisation: '单位',
  Domain: '领域',
  ExpertPool: '专家库',
  ListItem: '事项',
  Dispute: '纠纷',
};

// A relationship as a path step reads, in the direction it is stored.
export const REL = {
  PART_OF: '属于',
  LOCATED_IN: '位于',
  LIVES_IN: '户籍在',
  SERVES_IN: '任职于网格',
  MEMBER_OF: '党员',
  LEADS: '负责',
  SUBORDINATE_TO: '隶属',
  COVERS: '覆盖网格',
  WORKS_IN: '工作于',
  HOLDS_POST: '任职于',
  STATIONED_AT: '入驻',
  JURISDICTION: '管辖',
  ESCALATES_TO: '上报至',
  RESPONSIBLE_FOR: '负责事项',
  HAS_EXPERTISE: '专长',
  IN_POOL: '入库',
  MEDIATES_IN: '调解员',
  PARTY_TO: '当事人',
  OCCURRED_IN: '发生于',
  IN_DOMAIN: '类别',
  CLASSIFIED_AS: '归入事项',
  HANDLED: '办理',
  REPORTED: '上报',
  RATED: '评价',
  RELATED_TO: '关系',
  LIAISES_WITH: '联络',
};

// A tie's detail as the API gives it (family 嫂子, applicant…): its English words in Chinese.
const DETAIL_WORDS = {
  family: '亲属',
  colleague: '同事',
  applicant: '申请人',
  respondent: '被申请人',
  ...POST,
};

export function detail(text) {
  return (text || '')
    .split(' ')
    .map((word) => DETAIL_WORDS[word] || word)
    .join(' ');
}

export function name(table, value) {
  if (value === null || value === undefined) return '';
  return table[value] || table[String(value).toLowerCase()] || String(value);
}

// The dispute workflow (issue 12): its states, actions, clocks, roles and refusals.
export const STATE = {
  new: '新建',
  reported: '待受理',
  accepted: '已受理',
  dispatched: '已派单',
  open: '待抢单',
  handling: '办理中',
  parked: '挂账',
  fed_back: '已反馈',
  closed: '已办结',
};

export const ACTION = {
  report: '登记上报',
  accept: '受理',
  dispatch: '派单',
  offer: '开放抢单',
  sign: '签收',
  claim: '抢单',
  order: '点单',
  record: '记录处置',
  bounce: '退单',
  approve: '批准',
  refuse: '不予批准',
  request_extension: '申请延期',
  park: '申请挂账',
  resume: '恢复办理',
  escalate: '上报',
  whistle: '吹哨',
  sign_whistle: '报到签收',
  contact: '已联系',
  arrive: '已到场',
  rate_response: '评价报到',
  supervise: '督办',
  chase: '催办',
  feed_back: '反馈',
  close: '办结',
  rate: '评单',
  reopen: '重新办理',
  call_back: '回访',
  check: '核查履行',
};

export const CLOCK = {
  accept: '受理',
  sign: '签收',
  arrive: '到场',
  handle: '办理',
  supervise: '督办回复',
  whistle_signed: '报到签收',
  whistle_contacted: '报到联系',
  whistle_arrived: '报到到场',
  call_back: '回访',
};

export const WORKFLOW_ROLE = {
  grid_worker: '网格员',
  resident: '群众',
  hotline: '热线',
  dispatcher: '中心值班',
  department: '部门',
  mediator: '调解员',
  expert: '专家',
  supervisor: '督办',
  system: '系统',
};

// What a refusal means, by its code; the API's message (in English) is shown beside it.
export const PROBLEM = {
  STALE_VERSION: '这件纠纷刚被其他人办理过，页面已重新读取，请核对后再操作',
  UNKNOWN_ACTION: '没有这个操作',
  NOT_FOUND: '没有这件纠纷',
  DISPUTE_EXISTS: '这件纠纷已登记过',
  WRONG_ROLE: '您的岗位不能做这个操作',
  OUT_OF_SCOPE: '这件纠纷不在您的辖区内',
  NOT_HOLDER: '这件纠纷不在您单位手上',
  NOT_SUMMONED: '您的单位没有被吹哨',
  NOT_A_PARTY: '您不是当事人',
  NOT_IN_DOMAIN: '不属于您的专业领域',
  CONFLICT_OF_INTEREST: '存在利益冲突，须回避',
  NOT_ALLOWED_IN_STATE: '纠纷当前的状态不能做这个操作',
  NOT_FOR_KIND: '事件不能做这个操作',
  REASON_MISSING: '请填写理由',
  PAST_WINDOW: '已超过可办理的期限',
  PAST_DEADLINE: '已过时限，不能再申请',
  LIMIT_REACHED: '已达次数上限',
  NO_PENDING_REQUEST: '没有待审批的申请',
  SELF_APPROVAL: '不能审批本单位的申请',
  INVALID_INPUT: '填写有误',
  IDEMPOTENCY_KEY_REUSED: '同一操作编号已用于其他内容',
};

export const SETTLED = { GRID: '网格', VILLAGE: '村（社区）', TOWN: '镇（街道）', COUNTY: '县（区）', COURT: '法院' };
