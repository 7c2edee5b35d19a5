import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsString, IsUUID, Min, ValidateNested } from 'class-validator';
import type { OrderCreatedEvent, OrderLine } from '../../../common/events';

export class OrderLineDto implements OrderLine {
  @IsString()
  @IsNotEmpty()
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

/**
 * `order.created` as checkout accepts it. The pub/sub block validates the
 * event against this class; an invalid one goes to the dead-letter topic and
 * is never retried. Also the body of `POST /checkout`.
 */
export class OrderCreatedDto implements OrderCreatedEvent {
  @IsUUID()
  orderId!: string;

  @IsString()
  @IsNotEmpty()
  customer!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items!: OrderLineDto[];
}
